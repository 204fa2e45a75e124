import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

// Only what the trend needs, bundled by Vite: no network, no global echarts.
echarts.use([LineChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, SVGRenderer]);

const HOUR = 3_600_000;

export interface TrendPoint {
  at: string;
  score: number;
  open: { critical: number; high: number; medium: number; low: number };
}

/** The posture score and open critical/high findings over time (ECharts, SVG). */
export function TrendChart({ points, label }: { points: TrendPoint[]; label: string }) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const chart = echarts.init(element, undefined, { renderer: 'svg' });
    const resize = new ResizeObserver(() => chart.resize());
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.dispose();
    };
  }, []);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const chart = echarts.getInstanceByDom(element);
    chart?.setOption(
      {
        animation: false,
        aria: { enabled: true, label: { description: label } },
        grid: { left: 44, right: 44, top: 36, bottom: 28 },
        legend: { top: 0, textStyle: { color: '#33404f' } },
        tooltip: { trigger: 'axis' },
        // A little room either side, so one or two points do not sit on a two-day axis.
        xAxis: {
          type: 'time',
          min: (value: { min: number }) => value.min - HOUR,
          max: (value: { max: number }) => value.max + HOUR,
          axisLabel: { color: '#566476', hideOverlap: true },
        },
        yAxis: [
          { type: 'value', name: 'Score', min: 0, max: 100, axisLabel: { color: '#566476' } },
          {
            type: 'value',
            name: 'Open',
            minInterval: 1,
            axisLabel: { color: '#566476' },
            splitLine: { show: false },
          },
        ],
        series: [
          {
            name: 'Posture score',
            type: 'line',
            data: points.map((p) => [p.at, p.score]),
            symbolSize: 6,
            lineStyle: { width: 3, color: '#0b6e69' },
            itemStyle: { color: '#0b6e69' },
          },
          {
            name: 'Open critical + high findings',
            type: 'line',
            yAxisIndex: 1,
            step: 'end',
            data: points.map((p) => [p.at, p.open.critical + p.open.high]),
            symbolSize: 4,
            lineStyle: { width: 2, color: '#a61b1b', type: 'dashed' },
            itemStyle: { color: '#a61b1b' },
          },
        ],
      },
      true,
    );
  }, [points, label]);

  return <div ref={host} className="trend-chart" role="img" aria-label={label} data-testid="trend-chart" />;
}
