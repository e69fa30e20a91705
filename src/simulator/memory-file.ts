import fs from 'node:fs'
import { type SecretBox, writeAtomically } from '../platform/crypto/secret-box.js'
import type { SimulatorMemory, SimulatorState } from './state.js'

const PURPOSE = 'postfach:simulator-memory:v1'
/** How often a change is written: a crash loses at most this much of the simulated phones' memory. */
const SAVE_EVERY_MS = 2000

/**
 * Keeps the built-in simulator's memory in a file, so that after a restart of `npm start` the
 * customer phone still shows its chats and WhatsApp still knows the messages (a read receipt for
 * one from before the restart is taken, as Meta takes it). Sealed with the master key: what a
 * person types into the customer phone is handled like personal data.
 */
export function keepSimulatorMemory(state: SimulatorState, o: { file: string; box: SecretBox; warn: (message: string) => void }): { stop(): void } {
  if (fs.existsSync(o.file)) {
    try {
      const memory = JSON.parse(o.box.open(fs.readFileSync(o.file, 'utf8').trim(), PURPOSE)) as SimulatorMemory
      if (memory.version !== 1) throw new Error(`version ${String(memory.version)} is not known`)
      state.restore(memory)
    } catch (error) {
      o.warn(`The simulator's memory in ${o.file} could not be read (${(error as Error).message}); it starts empty.`)
    }
  }
  let saved = state.memoryRevision()
  const save = () => {
    const revision = state.memoryRevision()
    if (revision === saved) return
    writeAtomically(o.file, o.box.seal(JSON.stringify(state.memory()), PURPOSE))
    saved = revision
  }
  const timer = setInterval(save, SAVE_EVERY_MS).unref()
  return {
    stop() {
      clearInterval(timer)
      save()
    },
  }
}
