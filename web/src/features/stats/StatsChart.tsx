import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js'
import { useEffect, useRef } from 'react'

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip)

export type Series = { label: string; color: string; values: number[] }

/** A grouped bar chart (Chart.js, drawn locally: no request leaves the page). The table beside it carries the same numbers for screen readers. */
export function StatsChart({ labels, series, title }: { labels: string[]; series: Series[]; title: string }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    if (!canvas.current) return
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: { labels, datasets: series.map((s) => ({ label: s.label, data: s.values, backgroundColor: s.color })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    })
    return () => chart.destroy()
  }, [labels, series])
  return (
    <div className="stats-chart">
      <canvas ref={canvas} role="img" aria-label={title} />
    </div>
  )
}
