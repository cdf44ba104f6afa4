import { ConversationTree } from './conversation-tree.js';

/**
 *   q1 ─ a1 ─ q2 ─ a2
 *           └ a2b
 *      └ a1b
 *   q1e ─ a3        (q1 edited)
 */
const messages = [
  { id: 'q1', parentId: null },
  { id: 'a1', parentId: 'q1' },
  { id: 'q2', parentId: 'a1' },
  { id: 'a2', parentId: 'q2' },
  { id: 'a1b', parentId: 'q1' },
  { id: 'a2b', parentId: 'q2' },
  { id: 'q1e', parentId: null },
  { id: 'a3', parentId: 'q1e' },
];
const tree = new ConversationTree(messages);
const ids = (nodes: { id: string }[]) => nodes.map((node) => node.id);

describe('ConversationTree', () => {
  it('walks a branch from the first message to the leaf', () => {
    expect(ids(tree.branchTo('a2b'))).toEqual(['q1', 'a1', 'q2', 'a2b']);
    expect(ids(tree.branchTo('a3'))).toEqual(['q1e', 'a3']);
    expect(tree.branchTo(null)).toEqual([]);
    expect(tree.branchTo('missing')).toEqual([]);
  });

  it('lists the versions of a turn, oldest first, roots included', () => {
    expect(tree.versionsOf(messages[1]!)).toEqual(['a1', 'a1b']);
    expect(tree.versionsOf(messages[0]!)).toEqual(['q1', 'q1e']);
    expect(tree.versionsOf(messages[7]!)).toEqual(['a3']);
  });

  it('continues a chosen version down its newest replies', () => {
    expect(tree.newestLeafFrom('q1')).toBe('a1b');
    expect(tree.newestLeafFrom('a1')).toBe('a2b');
    expect(tree.newestLeafFrom('q1e')).toBe('a3');
    expect(tree.newestLeafFrom('a2')).toBe('a2');
  });
});
