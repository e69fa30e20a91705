import fs from 'node:fs'
import type { Db } from '../../db/database.js'
import { rewrapCredentials } from '../../modules/whatsapp/connection.js'
import { loadSecretBox, masterKeyPath, parseKeyFile, SecretBox, sealRoot, writeAtomically } from './secret-box.js'

/**
 * Master key rotation: every data key and stored secret is unwrapped with the old key and wrapped
 * with the new one in one transaction; payloads are not touched. Keyed hashes keep their root.
 * Destroyed data keys are never re-wrapped, so a backup made before their destruction stays
 * unreadable for them once the old key is gone.
 */
export async function rotateMasterKey(db: Db, o: { keyFile: string | undefined; dataDir: string; newKeyFile: string }): Promise<{ dataKeys: number; secrets: number; replacedDefault: boolean; masterKeyFile: string }> {
  const old = loadSecretBox({ keyFile: o.keyFile, dataDir: o.dataDir })
  const next = new SecretBox(parseKeyFile(o.newKeyFile), old.root)
  const counts = await db.transaction().execute(async (tx) => {
    const keys = await tx.selectFrom('data_keys').select(['id', 'wrapped']).where('wrapped', 'is not', null).execute()
    for (const k of keys) {
      const purpose = `data-key:${k.id}`
      await tx.updateTable('data_keys').set({ wrapped: next.seal(old.open(k.wrapped!, purpose), purpose) }).where('id', '=', k.id).execute()
    }
    return { dataKeys: keys.length, secrets: (await rewrapCredentials(tx, old, next)) ? 1 : 0 }
  })
  sealRoot(o.dataDir, next)
  const masterKeyFile = masterKeyPath(o)
  const replacedDefault = o.keyFile === undefined
  // With the default location, the new key takes the old one's place.
  if (replacedDefault) writeAtomically(masterKeyFile, fs.readFileSync(o.newKeyFile, 'utf8').trim())
  return { ...counts, replacedDefault, masterKeyFile }
}
