/** The p-quantile (0..1) by the nearest-rank method; null for no values. Linear time (selection, not a sort). */
export function quantile(values: ArrayLike<number>, p: number): number | null {
  if (values.length === 0) return null
  return select(Float64Array.from(values), Math.max(0, Math.ceil(p * values.length) - 1))
}

/** The k-th smallest (0-based) of `a`, reordering `a` in place (Hoare's selection). */
function select(a: Float64Array, k: number): number {
  let lo = 0
  let hi = a.length - 1
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!
    let i = lo
    let j = hi
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        const t = a[i]!
        a[i++] = a[j]!
        a[j--] = t
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return a[k]!
  }
  return a[k]!
}
