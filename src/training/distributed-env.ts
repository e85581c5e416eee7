// The data-parallel process group a training process belongs to, read from the environment
// torchrun (and `modalfuse train --nproc N`, and most cluster launchers) sets: RANK,
// WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT.
import { UserError } from "../errors.js";

export interface DistributedEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
  /** torchrun's agent already hosts the store at MASTER_ADDR:MASTER_PORT. */
  agentStore: boolean;
}

function integer(env: NodeJS.ProcessEnv, name: string, min: number): number {
  const raw = env[name];
  const value = Number(raw);
  if (raw === undefined || raw.trim() === "" || !Number.isInteger(value) || value < min) throw new UserError(`${name}=${raw ?? ""}: expected an integer of at least ${min} (data-parallel training reads RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT)`);
  return value;
}

/** The process group this process joins, or null for training in one process. */
export function distributedEnv(env: NodeJS.ProcessEnv = process.env): DistributedEnv | null {
  if (env.WORLD_SIZE === undefined) return null;
  const worldSize = integer(env, "WORLD_SIZE", 1);
  const rank = integer(env, "RANK", 0);
  if (rank >= worldSize) throw new UserError(`RANK=${rank} is not below WORLD_SIZE=${worldSize}`);
  const localRank = env.LOCAL_RANK === undefined ? rank : integer(env, "LOCAL_RANK", 0);
  const masterAddr = env.MASTER_ADDR ?? "127.0.0.1";
  const masterPort = env.MASTER_PORT === undefined ? 29500 : integer(env, "MASTER_PORT", 1);
  if (masterPort > 65535) throw new UserError(`MASTER_PORT=${masterPort}: not a port`);
  return { rank, worldSize, localRank, masterAddr, masterPort, agentStore: /^(1|true)$/i.test(env.TORCHELASTIC_USE_AGENT_STORE ?? "") };
}
