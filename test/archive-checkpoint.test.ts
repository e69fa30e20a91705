import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkpointText, generateSigningKey, keyId, rawPublicKey, signCheckpoint, verifyCheckpoint } from '../src/modules/archive/checkpoint.js'
import { leafHash, memorySource, rootOf } from '../src/modules/archive/merkle.js'

const key = { name: 'postfach.example/log', ...generateSigningKey() }
const root = rootOf(3, memorySource(['a', 'b', 'c'].map((x) => leafHash(Buffer.from(x)))))
const checkpoint = { origin: 'postfach.example/log', size: 3, root }

describe('signed checkpoints (C2SP signed note, Ed25519)', () => {
  it('writes the note text, key id and signature line in the C2SP format and verifies it', () => {
    const note = signCheckpoint(checkpoint, key)
    const [text, sig] = note.split('\n\n')
    expect(`${text}\n`).toBe(checkpointText(checkpoint))
    expect(text).toBe(`postfach.example/log\n3\n${root.toString('base64')}`)
    expect(sig).toMatch(/^\u2014 postfach\.example\/log [A-Za-z0-9+/]+=*\n$/)
    const blob = Buffer.from(sig!.trim().split(' ')[2]!, 'base64')
    expect(blob.subarray(0, 4)).toEqual(createHash('sha256').update(Buffer.concat([Buffer.from('postfach.example/log\n'), Buffer.from([1]), rawPublicKey(key.publicKey)])).digest().subarray(0, 4))
    expect(keyId(key.name, key.publicKey)).toEqual(blob.subarray(0, 4))
    expect(blob.length).toBe(4 + 64)
    expect(verifyCheckpoint(note, key)).toEqual(checkpoint)
  })

  it('rejects a changed size, root or origin, another key, and a note with no signature it knows', () => {
    const note = signCheckpoint(checkpoint, key)
    expect(verifyCheckpoint(note.replace('\n3\n', '\n4\n'), key)).toBeUndefined()
    expect(verifyCheckpoint(note.replace(root.toString('base64'), Buffer.alloc(32).toString('base64')), key)).toBeUndefined()
    expect(verifyCheckpoint(note.replace('postfach.example/log\n3', 'evil.example/log\n3'), key)).toBeUndefined()
    const other = { name: key.name, ...generateSigningKey() }
    expect(verifyCheckpoint(note, other)).toBeUndefined()
    expect(verifyCheckpoint(checkpointText(checkpoint) + '\n', key)).toBeUndefined()
    expect(verifyCheckpoint(note.replace('\n3\n', '\n03\n'), key)).toBeUndefined()
    // A cosignature from an unknown witness is ignored, not fatal.
    const witness = { name: 'witness.example', ...generateSigningKey() }
    const cosigned = note + signCheckpoint(checkpoint, witness).split('\n\n')[1]
    expect(verifyCheckpoint(cosigned, key)).toEqual(checkpoint)
  })
})
