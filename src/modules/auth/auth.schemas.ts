import { z } from 'zod'

export const roleSchema = z.enum(['admin', 'agent', 'auditor'])

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  active: z.boolean(),
  /** Whether login asks for a code from an authenticator app as well. */
  twoFactor: z.boolean(),
  createdAt: z.string(),
  /** When they last signed in (null: never), for reviewing who still needs access. */
  lastLoginAt: z.string().nullable(),
})

export const loginBody = z.object({
  email: z.email().max(320),
  password: z.string().min(1).max(1024),
  /** The second factor, when the account has one: six digits from the app, or a recovery code. */
  code: z.string().trim().min(1).max(32).optional(),
})

/** `twoFactorRequired`: the company requires two-factor login and this person must set it up before anything else. */
export const loginResponse = z.object({ user: userSchema, csrfToken: z.string(), twoFactorRequired: z.boolean() })

/** A password someone sets: long rather than complicated (BSI, NIST SP 800-63B). */
export const newPassword = z.string().min(12).max(1024)

export const passwordChangeBody = z.object({ currentPassword: z.string().min(1).max(1024), newPassword })

export const createUserBody = z.object({
  email: z.email().max(320),
  name: z.string().trim().min(1).max(200),
  role: roleSchema,
  password: newPassword,
})

export const updateUserBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    role: roleSchema,
    active: z.boolean(),
    password: newPassword,
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'at least one field')

export const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: roleSchema,
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
})

export const createTokenBody = z.object({ name: z.string().trim().min(1).max(200), role: roleSchema })
export const idParams = z.object({ id: z.string().min(1).max(100) })

type UserLike = { id: string; email: string; name: string; role: z.infer<typeof roleSchema>; active: number; created_at: string; totp_enabled_at: string | null; last_login_at: string | null }
export const presentUser = (u: UserLike) => ({ id: u.id, email: u.email, name: u.name, role: u.role, active: u.active === 1, twoFactor: u.totp_enabled_at !== null, createdAt: u.created_at, lastLoginAt: u.last_login_at })

export const passwordConfirmBody = z.object({ currentPassword: z.string().min(1).max(1024) })
export const twoFactorCodeBody = z.object({ code: z.string().trim().regex(/^\d{6}$/, 'six digits from the authenticator app') })
export const twoFactorStatus = z.object({ enabled: z.boolean(), enabledAt: z.string().nullable(), recoveryCodesLeft: z.number().int() })
export const twoFactorSetup = z.object({ secret: z.string(), uri: z.string() })
export const recoveryCodesResponse = z.object({ recoveryCodes: z.array(z.string()) })
