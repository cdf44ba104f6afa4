/** The links of a conversation tree that its views need. */
export interface TreeNode {
  id: string;
  parentId: string | null;
}

/**
 * A session's messages seen as the tree they form (given oldest first): each message follows its parent, and
 * messages with the same parent are versions of one turn (an edited question, a regenerated answer).
 */
export class ConversationTree<T extends TreeNode> {
  private readonly byId = new Map<string, T>();
  private readonly children = new Map<string | null, T[]>();

  constructor(readonly messages: readonly T[]) {
    for (const message of messages) {
      this.byId.set(message.id, message);
      const versions = this.children.get(message.parentId) ?? [];
      versions.push(message);
      this.children.set(message.parentId, versions);
    }
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The ids of every version of this message's turn, oldest first (itself included). */
  versionsOf(message: T): string[] {
    return (this.children.get(message.parentId) ?? [message]).map((version) => version.id);
  }

  /** From the first message to `leafId`, following parent links; empty when there is no such message. */
  branchTo(leafId: string | null): T[] {
    const branch: T[] = [];
    for (let node = leafId ? this.byId.get(leafId) : undefined; node; node = node.parentId ? this.byId.get(node.parentId) : undefined) {
      branch.push(node);
    }
    return branch.reverse();
  }

  /** The end of the branch through `id` that continues with the newest version at every turn. */
  newestLeafFrom(id: string): string {
    let leaf = id;
    for (let next = this.children.get(leaf)?.at(-1); next; next = this.children.get(leaf)?.at(-1)) leaf = next.id;
    return leaf;
  }
}
