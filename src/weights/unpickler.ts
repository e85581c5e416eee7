// A restricted unpickler: a small stack machine over the pickle opcodes that `torch.save`
// emits (protocol 2, plus the few later opcodes that carry the same plain data). Python's own
// unpickler imports and calls whatever a GLOBAL names, which is how a checkpoint can run code;
// this one asks `resolveGlobal` and refuses any name it does not know. The only functions it
// can ever call are the ones `resolveGlobal` hands back, which are ours, written in TypeScript.
import { PyDict, PyTuple, describe, isGlobal, type PyGlobal, type PyValue } from "./pickle-values.js";

export class UnpicklingError extends Error {
  override readonly name = "UnpicklingError";
  /** The dotted name of a refused GLOBAL, when that is why. */
  refused?: string;
}

export interface UnpickleOptions {
  /** The allowlist: a known name, or undefined to refuse it. */
  resolveGlobal(module: string, name: string): PyGlobal | undefined;
  /** Turns a persistent id (torch: a storage reference) into a value. */
  persistentLoad(pid: PyValue): PyValue;
}

// Opcodes by byte. Anything not listed (INST, OBJ, EXT*, text-protocol PUT/GET/INT, ...) is refused.
const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  POP: 0x30, // 0
  POP_MARK: 0x31, // 1
  DUP: 0x32, // 2
  BINFLOAT: 0x47, // G
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  BINSTRING: 0x54, // T
  SHORT_BINSTRING: 0x55, // U
  BINUNICODE: 0x58, // X
  EMPTY_LIST: 0x5d, // ]
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  DICT: 0x64, // d
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  LIST: 0x6c, // l
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  EMPTY_TUPLE: 0x29, // )
  PROTO: 0x80,
  NEWOBJ: 0x81,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  // Protocol 3 and 4: the same kinds of data, spelled differently.
  BINBYTES: 0x42, // B
  SHORT_BINBYTES: 0x43, // C
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const;

const MARK = Symbol("mark");
type Slot = PyValue | typeof MARK;

/** Reads one pickle. Throws UnpicklingError on anything outside the restricted set. */
export function unpickle(data: Buffer, options: UnpickleOptions): PyValue {
  let pos = 0;
  const stack: Slot[] = [];
  const memo = new Map<number, PyValue>();

  const fail = (why: string): never => {
    throw new UnpicklingError(why);
  };
  const need = (n: number): void => {
    if (n < 0 || pos + n > data.length) fail(`the pickle ends early (at byte ${data.length})`);
  };
  const u8 = () => (need(1), data[pos++] as number);
  const u16 = () => (need(2), (pos += 2), data.readUInt16LE(pos - 2));
  const u32 = () => (need(4), (pos += 4), data.readUInt32LE(pos - 4));
  const u64 = () => {
    need(8);
    const n = data.readBigUInt64LE(pos);
    pos += 8;
    if (n > BigInt(data.length)) fail(`a length of ${n} bytes is past the end of the pickle`);
    return Number(n);
  };
  const bytes = (n: number) => {
    need(n);
    pos += n;
    return data.subarray(pos - n, pos);
  };
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail("the pickle ends inside a GLOBAL name");
    const text = data.toString("utf8", pos, end);
    pos = end + 1;
    return text;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined) return fail("the pickle pops an empty stack");
    if (v === MARK) return fail("the pickle pops a MARK as a value");
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) return fail("the pickle uses an empty stack");
    return v;
  };
  /** Everything above the last MARK, which is removed. */
  const popMark = (): PyValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail("the pickle has no MARK where one is needed");
    const items = stack.splice(at) as PyValue[];
    items.shift();
    return items;
  };
  const setItems = (target: PyValue, items: PyValue[]) => {
    if (!(target instanceof PyDict)) fail(`the pickle sets items on ${describe(target)}`);
    const dict = target as PyDict;
    if (items.length % 2) fail("the pickle sets a key without a value");
    for (let i = 0; i < items.length; i += 2) dict.entries.set(items[i] as PyValue, items[i + 1] as PyValue);
  };
  const appendTo = (target: PyValue, items: PyValue[]) => {
    if (!Array.isArray(target)) fail(`the pickle appends to ${describe(target)}`);
    (target as PyValue[]).push(...items);
  };
  const global = (module: string, name: string): PyGlobal => {
    const found = options.resolveGlobal(module, name);
    if (found) return found;
    const error = new UnpicklingError(`refused ${module}.${name}: it names code, and modalfuse reads only tensor data from a checkpoint (nothing in it was run)`);
    error.refused = `${module}.${name}`;
    throw error;
  };
  const call = (callable: PyValue, args: PyValue): PyValue => {
    if (!isGlobal(callable) || !callable.call) return fail(`the pickle calls ${describe(callable)}, which is not a constructor modalfuse knows`);
    if (!(args instanceof PyTuple)) return fail(`the pickle calls ${callable.module}.${callable.name} with ${describe(args)} instead of a tuple`);
    return callable.call(args.items);
  };
  const smallInt = (n: bigint): number | bigint => (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case OP.PROTO: {
        const version = u8();
        if (version > 5) fail(`pickle protocol ${version} is newer than any known`);
        break;
      }
      case OP.FRAME:
        u64(); // a size hint for buffered readers; the whole pickle is in memory already
        break;
      case OP.STOP:
        if (stack.length !== 1) fail(`the pickle stops with ${stack.length} values on the stack`);
        return pop();
      case OP.MARK:
        stack.push(MARK);
        break;
      case OP.POP:
        if (stack.pop() === undefined) fail("the pickle pops an empty stack");
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        stack.push(top());
        break;
      case OP.NONE:
        stack.push(null);
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.BININT:
        need(4);
        stack.push(data.readInt32LE(pos));
        pos += 4;
        break;
      case OP.BININT1:
        stack.push(u8());
        break;
      case OP.BININT2:
        stack.push(u16());
        break;
      case OP.LONG1: {
        const raw = bytes(u8());
        let n = 0n;
        for (let i = raw.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(raw[i] as number);
        // Two's complement: the top bit of the last byte is the sign.
        if (raw.length && ((raw[raw.length - 1] as number) & 0x80)) n -= 1n << BigInt(8 * raw.length);
        stack.push(smallInt(n));
        break;
      }
      case OP.BINFLOAT:
        need(8);
        stack.push(data.readDoubleBE(pos));
        pos += 8;
        break;
      case OP.BINUNICODE:
        stack.push(bytes(u32()).toString("utf8"));
        break;
      case OP.SHORT_BINUNICODE:
        stack.push(bytes(u8()).toString("utf8"));
        break;
      case OP.BINUNICODE8:
        stack.push(bytes(u64()).toString("utf8"));
        break;
      // Python 2 str: bytes that Python 3 reads as latin-1 text by default.
      case OP.BINSTRING:
        stack.push(bytes(u32()).toString("latin1"));
        break;
      case OP.SHORT_BINSTRING:
        stack.push(bytes(u8()).toString("latin1"));
        break;
      case OP.BINBYTES:
        stack.push(Buffer.from(bytes(u32())));
        break;
      case OP.SHORT_BINBYTES:
        stack.push(Buffer.from(bytes(u8())));
        break;
      case OP.BINBYTES8:
        stack.push(Buffer.from(bytes(u64())));
        break;
      case OP.EMPTY_LIST:
        stack.push([]);
        break;
      case OP.EMPTY_DICT:
        stack.push(new PyDict());
        break;
      case OP.EMPTY_TUPLE:
        stack.push(new PyTuple([]));
        break;
      case OP.TUPLE:
        stack.push(new PyTuple(popMark()));
        break;
      case OP.TUPLE1: {
        const a = pop();
        stack.push(new PyTuple([a]));
        break;
      }
      case OP.TUPLE2: {
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case OP.TUPLE3: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case OP.LIST:
        stack.push(popMark());
        break;
      case OP.DICT: {
        const dict = new PyDict();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case OP.APPEND: {
        const value = pop();
        appendTo(top(), [value]);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        appendTo(top(), items);
        break;
      }
      case OP.SETITEM: {
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case OP.BINPUT:
        memo.set(u8(), top());
        break;
      case OP.LONG_BINPUT:
        memo.set(u32(), top());
        break;
      case OP.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case OP.BINGET:
      case OP.LONG_BINGET: {
        const key = op === OP.BINGET ? u8() : u32();
        if (!memo.has(key)) fail(`the pickle reads memo ${key} before writing it`);
        stack.push(memo.get(key) as PyValue);
        break;
      }
      case OP.GLOBAL: {
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string") fail("the pickle names a global with something other than strings");
        stack.push(global(module as string, name as string));
        break;
      }
      case OP.REDUCE:
      case OP.NEWOBJ: {
        const args = pop();
        const callable = pop();
        stack.push(call(callable, args));
        break;
      }
      case OP.BUILD: {
        // Sets an object's state. Only dicts get one in a checkpoint (a state dict's
        // `_metadata`); it is kept as data and never applied as attributes.
        const state = pop();
        const target = top();
        if (!(target instanceof PyDict)) fail(`the pickle sets state on ${describe(target)}`);
        (target as PyDict).state = state;
        break;
      }
      case OP.BINPERSID:
        stack.push(options.persistentLoad(pop()));
        break;
      default:
        fail(`the pickle uses opcode 0x${op.toString(16).padStart(2, "0")} at byte ${at}, which a checkpoint of tensors does not need`);
    }
  }
}
