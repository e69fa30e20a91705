import { parentPort, workerData } from 'node:worker_threads'
import { type DatabaseOptions, openDatabase } from '../../db/database.js'
import { verifySlice } from './verify-leaves.js'

/**
 * A worker thread of `postfach archive verify`: verifies the slices of the log it is sent, on a
 * connection of its own (reading only), and answers each with its report.
 */
const database = await openDatabase({ ...(workerData as DatabaseOptions), readonly: true, pgPoolSize: 1 })
parentPort!.on('message', (job: { start: number; end: number; checkpointSizes: number[] } | null) => {
  if (job === null) {
    void database.destroy().then(() => parentPort!.close())
    return
  }
  verifySlice(database, job.start, job.end, job.checkpointSizes).then(
    (report) => parentPort!.postMessage({ report }),
    (error: unknown) => parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  )
})
parentPort!.postMessage({ ready: true })
