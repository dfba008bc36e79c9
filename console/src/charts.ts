// Usage charts with Chart.js (only the parts used are registered, so the bundle
// stays small). Chart.js styles its canvas through the CSSOM, which the strict CSP
// allows (only style attributes in markup would need 'unsafe-inline').
import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
  type ChartConfiguration,
} from "chart.js";

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;

export const COLORS = { assigned: "#0b5fff", purchased: "#11703a", overage: "#c62828", mau: "#6a1b9a", dau: "#ef6c00", used: "#0b5fff", cumulative: "#14213d", committed: "#11703a" };

export function draw(canvas: HTMLCanvasElement, config: ChartConfiguration): Chart {
  Chart.getChart(canvas)?.destroy();
  return new Chart(canvas, config);
}

export interface ChartSummary { id: string; type: string; labels: unknown[]; datasets: { label: string; type?: string; data: unknown[] }[] }

/** What each chart on the page draws (its labels and datasets): `window.partnerHubCharts()`,
 *  for people checking the numbers behind a picture and for the browser tests. */
export function exposeCharts() {
  (window as unknown as { partnerHubCharts: () => ChartSummary[] }).partnerHubCharts = () =>
    Object.values(Chart.instances).map((chart) => ({
      id: chart.canvas.id,
      type: (chart.config as { type?: string }).type ?? "",
      labels: [...(chart.data.labels ?? [])],
      datasets: chart.data.datasets.map((d) => ({ label: String(d.label ?? ""), type: (d as { type?: string }).type, data: [...d.data] })),
    }));
}
