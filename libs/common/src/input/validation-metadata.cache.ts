import { getMetadataStorage } from 'class-validator';

type MetadataStorage = ReturnType<typeof getMetadataStorage>;
type TargetMetadatas = ReturnType<MetadataStorage['getTargetValidationMetadatas']>;
type GroupedMetadatas = ReturnType<MetadataStorage['groupByPropertyName']>;

/** Marks the storage whose lookups are already kept, so that booting several apps in one process installs it once. */
const CACHED = Symbol('validation metadata cached');

/**
 * Keeps class-validator's answer to "which rules apply to this class" after the first validation of each class.
 * The library works it out on every validation of every object, nested ones included, by testing each decorated
 * class of the app for being an ancestor (typestack/class-validator#2686, open): with this app's 73 DTO classes that
 * was a third of validating a /v1 chat completion body (35-37 µs, 22-23 with this). A class's rules, its own and
 * its ancestors', are all registered when its module loads, before any object of it can be validated, so the answer
 * cannot change afterwards. Kept per class (weakly) and per options (schema, `always`, strict groups, groups), as
 * the library's arguments. The rules grouped by property, which the library then builds afresh from that answer on
 * every validation too, are kept per answer; the library only reads them.
 */
export function cacheValidationMetadata(storage: MetadataStorage = getMetadataStorage()): void {
  const marked = storage as MetadataStorage & { [CACHED]?: true };
  if (marked[CACHED]) return;
  marked[CACHED] = true;
  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  const kept = new WeakMap<object, Map<string, TargetMetadatas>>();
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    // A plain object made with Object.create(null) has no constructor to key on.
    if (typeof target !== 'function') return lookUp(target, schema, always, strictGroups, groups);
    const options = `${schema ?? ''}\u0000${always}\u0000${strictGroups}\u0000${groups === undefined ? '' : groups.join('\u0001')}`;
    let byOptions = kept.get(target);
    if (!byOptions) kept.set(target, (byOptions = new Map()));
    let metadatas = byOptions.get(options);
    if (!metadatas) byOptions.set(options, (metadatas = lookUp(target, schema, always, strictGroups, groups)));
    return metadatas;
  };
  const group = storage.groupByPropertyName.bind(storage);
  const grouped = new WeakMap<TargetMetadatas, GroupedMetadatas>();
  storage.groupByPropertyName = (metadatas) => {
    let byProperty = grouped.get(metadatas);
    if (!byProperty) grouped.set(metadatas, (byProperty = group(metadatas)));
    return byProperty;
  };
}
