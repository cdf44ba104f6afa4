import { describe, expect, it, jest } from '@jest/globals';
import { getMetadataStorage, IsInt, IsString, Max, validate } from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata.cache.js';

type Storage = ReturnType<typeof getMetadataStorage>;

/** A storage whose lookup is counted: what the cache saves is calls to it. */
function countedStorage() {
  const lookUp = jest.fn((target: unknown, _schema: string, _always: boolean, _strictGroups: boolean, groups?: string[]) => [{ target, groups }]);
  const group = jest.fn((metadatas: unknown[]) => ({ name: metadatas }));
  const storage = { getTargetValidationMetadatas: lookUp, groupByPropertyName: group } as unknown as Storage;
  return { storage, lookUp, group };
}

class Base {
  @IsString()
  name!: string;
}

class Derived extends Base {
  @IsInt()
  @Max(10)
  count!: number;
}

describe('cacheValidationMetadata', () => {
  it('looks a class up once per set of options, and installs itself once however often it is asked to', () => {
    const { storage, lookUp } = countedStorage();
    cacheValidationMetadata(storage);
    cacheValidationMetadata(storage);

    const first = storage.getTargetValidationMetadatas(Derived, '', false, false);
    expect(storage.getTargetValidationMetadatas(Derived, '', false, false)).toBe(first);
    expect(storage.getTargetValidationMetadatas(Derived, '', false, false, [])).toBe(first);
    expect(lookUp).toHaveBeenCalledTimes(1);

    storage.getTargetValidationMetadatas(Derived, '', false, false, ['admin']);
    storage.getTargetValidationMetadatas(Derived, '', true, false);
    storage.getTargetValidationMetadatas(Derived, '', false, true);
    storage.getTargetValidationMetadatas(Base, '', false, false);
    expect(lookUp).toHaveBeenCalledTimes(5);
  });

  it('groups each looked-up answer by property once', () => {
    const { storage, group } = countedStorage();
    cacheValidationMetadata(storage);
    const derived = storage.getTargetValidationMetadatas(Derived, '', false, false);
    const grouped = storage.groupByPropertyName(derived);
    expect(storage.groupByPropertyName(storage.getTargetValidationMetadatas(Derived, '', false, false))).toBe(grouped);
    expect(group).toHaveBeenCalledTimes(1);

    expect(storage.groupByPropertyName(storage.getTargetValidationMetadatas(Base, '', false, false))).not.toBe(grouped);
    expect(group).toHaveBeenCalledTimes(2);
  });

  it('passes a target with no constructor to key on straight through', () => {
    const { storage, lookUp } = countedStorage();
    cacheValidationMetadata(storage);
    storage.getTargetValidationMetadatas(undefined as unknown as () => void, '', false, false);
    storage.getTargetValidationMetadatas(undefined as unknown as () => void, '', false, false);
    expect(lookUp).toHaveBeenCalledTimes(2);
  });

  it("validates as before on class-validator's own storage: a subclass keeps its ancestor's rules", async () => {
    const before = await validate(Object.assign(new Derived(), { name: 7, count: 11 }));
    cacheValidationMetadata();
    for (let round = 0; round < 2; round++) {
      const errors = await validate(Object.assign(new Derived(), { name: 7, count: 11 }));
      expect(errors.map(({ property, constraints }) => [property, Object.keys(constraints ?? {})])).toEqual([
        ['count', ['max']],
        ['name', ['isString']],
      ]);
      expect(errors).toEqual(before);
      expect(await validate(Object.assign(new Derived(), { name: 'ok', count: 3 }))).toEqual([]);
    }
  });
});
