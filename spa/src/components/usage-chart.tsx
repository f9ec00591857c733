// Tokens per day as stacked bars with the estimated cost as a line (recharts). Loaded only by the usage page, so
// the chart library stays out of every other page's first load.
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { UsageSummary } from "@autoclaw/shared";

export default function UsageChart({ days }: { days: UsageSummary["perDay"] }) {
  const data = days.map((d) => ({
    day: d.day.slice(5),
    input: d.inputTokens,
    output: d.outputTokens,
    cost: Number(d.estimatedCostUsd.toFixed(4)),
  }));
  return (
    <ResponsiveContainer width="100%" height={260}>
      <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
        <CartesianGrid stroke="#f4f4f5" vertical={false} />
        <XAxis dataKey="day" tick={{ fontSize: 12, fill: "#71717a" }} tickLine={false} axisLine={false} />
        <YAxis yAxisId="tokens" tick={{ fontSize: 12, fill: "#71717a" }} tickLine={false} axisLine={false} width={56} />
        <YAxis
          yAxisId="cost"
          orientation="right"
          tick={{ fontSize: 12, fill: "#71717a" }}
          tickLine={false}
          axisLine={false}
          width={56}
          unit=" $"
        />
        <Tooltip />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Bar yAxisId="tokens" dataKey="input" name="Input tokens" stackId="t" fill="#fb923c" isAnimationActive={false} />
        <Bar yAxisId="tokens" dataKey="output" name="Output tokens" stackId="t" fill="#c2410c" isAnimationActive={false} />
        <Line yAxisId="cost" dataKey="cost" name="Estimated cost (USD)" stroke="#18181b" dot={false} isAnimationActive={false} />
      </ComposedChart>
    </ResponsiveContainer>
  );
}
