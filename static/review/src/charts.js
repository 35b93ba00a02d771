// Dashboard charts with ECharts, importing only the parts used (line, bar, gauge; canvas renderer).
import * as echarts from "echarts/core";
import { BarChart, GaugeChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";
import { t } from "./i18n.js";
import { statusColour } from "./map.js";

echarts.use([BarChart, GaugeChart, LineChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

const charts = {};

function chart(id) {
  const node = document.getElementById(id);
  charts[id] = charts[id] || echarts.init(node, null, { renderer: "canvas" });
  return charts[id];
}

const percent = (value) => (value == null ? null : Math.round(value * 1000) / 10);

export function renderCharts(data, statuses) {
  chart("chart-compliance").setOption(
    {
      title: { text: t("chart.compliance"), textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis", valueFormatter: (v) => (v == null ? "—" : `${v}%`) },
      xAxis: { type: "category", data: data.compliance_by_day.map((d) => d.day.slice(5)) },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ type: "line", smooth: true, data: data.compliance_by_day.map((d) => percent(d.rate)), areaStyle: { opacity: 0.15 } }],
      grid: { left: 40, right: 10, top: 35, bottom: 25 },
    },
    true,
  );
  const categories = data.incidents_by_status.map((row) => row.label);
  chart("chart-incidents").setOption(
    {
      title: { text: t("chart.incidents"), textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis" },
      legend: { top: 20, type: "scroll" },
      xAxis: { type: "category", data: categories, axisLabel: { interval: 0, rotate: categories.length > 5 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: statuses.map((status) => ({
        name: status.name,
        type: "bar",
        stack: "status",
        itemStyle: { color: statusColour[status.code] },
        data: data.incidents_by_status.map((row) => row[status.code] || 0),
      })),
      grid: { left: 35, right: 10, top: 55, bottom: 45 },
    },
    true,
  );
  chart("chart-ontime").setOption(
    {
      title: { text: t("chart.ontime"), textStyle: { fontSize: 13 } },
      series: [
        {
          type: "gauge",
          min: 0,
          max: 100,
          progress: { show: true },
          detail: { formatter: (v) => (data.on_time_close_rate == null ? "—" : `${v}%`), fontSize: 18 },
          data: [{ value: percent(data.on_time_close_rate) ?? 0 }],
        },
      ],
    },
    true,
  );
  chart("chart-visits").setOption(
    {
      title: { text: t("chart.visits"), textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis" },
      legend: { top: 20, data: [t("chart.due"), t("chart.done")] },
      xAxis: { type: "category", data: data.visits.map((row) => row.label), axisLabel: { interval: 0, rotate: 20 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: t("chart.due"), type: "bar", data: data.visits.map((row) => row.due), itemStyle: { color: "#94a3b8" } },
        { name: t("chart.done"), type: "bar", data: data.visits.map((row) => row.done), itemStyle: { color: "#2563eb" } },
      ],
      grid: { left: 35, right: 10, top: 55, bottom: 45 },
    },
    true,
  );
}

export function resizeCharts() {
  for (const instance of Object.values(charts)) instance.resize();
}
