package report

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"
)

// palette is colour-blind safe (Okabe–Ito) and prints legibly in grey.
var palette = [...]string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"}

// seriesColor gives well-known series their conventional colour.
func seriesColor(name string, i int) string {
	switch name {
	case "Succeeded":
		return "#009E73"
	case "Denied (403)":
		return "#D55E00"
	case "Other", "Other 5xx":
		return "#8C8C8C"
	case "SlowDown (503)":
		return "#E69F00"
	}
	return palette[i%len(palette)]
}

const (
	chartW   = 960
	axisFont = 12
)

// niceStep returns a round tick step so that max fits in about n ticks.
func niceStep(max int64, n int) int64 {
	if max <= 0 {
		return 1
	}
	raw := float64(max) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if s := m * mag; s >= raw {
			return max64(1, int64(math.Ceil(s)))
		}
	}
	return max64(1, int64(10*mag))
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// esc escapes text for SVG/HTML.
func esc(s string) string { return template.HTMLEscapeString(s) }

// svg renders c as an inline SVG with a title and description (its text
// alternative), or "" when it has nothing to draw.
func (c *Chart) svg(id string) template.HTML {
	switch c.Kind {
	case "time":
		return c.timeSVG(id)
	case "bars":
		return c.barsSVG(id)
	}
	return ""
}

func (c *Chart) open(b *strings.Builder, id string, h int) {
	fmt.Fprintf(b, `<svg class="chart" id="%s" role="img" aria-labelledby="%s-t %s-d" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">`,
		id, id, id, chartW, h)
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(c.Title), id, esc(c.Desc))
}

func (c *Chart) timeSVG(id string) template.HTML {
	const h, left, right, top, bottom = 280, 64, 12, 12, 44
	n := len(c.Times)
	if n == 0 {
		return ""
	}
	var b strings.Builder
	c.open(&b, id, h)
	totals := make([]int64, n)
	var peak int64
	for i := range totals {
		for _, s := range c.Series {
			totals[i] += s.Values[i]
		}
		peak = max64(peak, totals[i])
	}
	step := niceStep(peak, 4)
	ymax := max64(step, (peak+step-1)/step*step)
	plotW, plotH := float64(chartW-left-right), float64(h-top-bottom)
	y := func(v int64) float64 { return float64(top) + plotH - plotH*float64(v)/float64(ymax) }
	// grid and y labels
	b.WriteString(`<g class="grid">`)
	for v := int64(0); v <= ymax; v += step {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, left, chartW-right, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dy="4">%s</text>`, left-8, y(v), esc(fmtNum(v, c.Bytes)))
	}
	b.WriteString(`</g>`)
	bw := plotW / float64(n)
	gap := math.Min(bw*0.15, 2)
	layout := "2006-01-02 15:04"
	if c.Bucket == "day" {
		layout = "2006-01-02"
	}
	b.WriteString(`<g class="bars">`)
	for i, t := range c.Times {
		x := float64(left) + float64(i)*bw
		var acc int64
		for si, s := range c.Series {
			v := s.Values[i]
			if v == 0 {
				continue
			}
			y0, y1 := y(acc), y(acc+v)
			acc += v
			fmt.Fprintf(&b, `<rect x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s"><title>%s UTC · %s: %s</title></rect>`,
				x+gap/2, y1, math.Max(bw-gap, 0.5), y0-y1, seriesColor(s.Name, si), utc(t).Format(layout), esc(s.Name), fmtNum(v, c.Bytes))
		}
	}
	b.WriteString(`</g>`)
	// x axis: label days (hourly buckets) or every k-th day.
	fmt.Fprintf(&b, `<line class="axis" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, left, chartW-right, y(0), y(0))
	b.WriteString(`<g class="xlabels">`)
	every := 1
	if c.Bucket == "day" {
		every = max(1, n/12)
	} else {
		every = max(1, n/(24*12)) // at most ~12 day labels
	}
	lastLabel := -1 << 30
	for i, t := range c.Times {
		tt := utc(t)
		label := ""
		if c.Bucket == "hour" {
			if tt.Hour() != 0 && i != 0 {
				continue
			}
			if i-lastLabel < 24*every && lastLabel >= 0 {
				continue
			}
			label = tt.Format("Jan 2")
		} else {
			if i%every != 0 {
				continue
			}
			label = tt.Format("Jan 2")
		}
		lastLabel = i
		x := float64(left) + float64(i)*bw
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, x, x, y(0), y(0)+5)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`, x+2, y(0)+20, label)
	}
	b.WriteString(`</g>`)
	fmt.Fprintf(&b, `<text class="unit" x="%d" y="%d">UTC, one bar per %s</text>`, chartW-right, h-4, c.Bucket)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (c *Chart) barsSVG(id string) template.HTML {
	n := len(c.Labels)
	if n == 0 {
		return ""
	}
	const rowH, top, bottom, labelW, valueW = 26, 8, 8, 330, 110
	h := top + bottom + rowH*n
	var b strings.Builder
	c.open(&b, id, h)
	totals := make([]int64, n)
	var peak int64
	for i := range totals {
		for _, s := range c.Series {
			totals[i] += s.Values[i]
		}
		peak = max64(peak, totals[i])
	}
	plotW := float64(chartW - labelW - valueW)
	for i, label := range c.Labels {
		yy := float64(top + i*rowH)
		short := label
		if r := []rune(short); len(r) > 42 {
			short = string(r[:18]) + "…" + string(r[len(r)-23:])
		}
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%.1f" text-anchor="end">%s<title>%s</title></text>`,
			labelW-10, yy+rowH/2+4, esc(short), esc(label))
		x := float64(labelW)
		for si, s := range c.Series {
			v := s.Values[i]
			if v == 0 || peak == 0 {
				continue
			}
			w := plotW * float64(v) / float64(peak)
			fmt.Fprintf(&b, `<rect x="%.2f" y="%.1f" width="%.2f" height="%d" fill="%s"><title>%s · %s: %s</title></rect>`,
				x, yy+4, math.Max(w, 1), rowH-8, seriesColor(s.Name, si), esc(label), esc(s.Name), fmtNum(v, c.Bytes))
			x += w
		}
		fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%.1f">%s</text>`, x+6, yy+rowH/2+4, esc(fmtNum(totals[i], c.Bytes)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// legend lists the series with their colours (HTML, beside the chart).
func (c *Chart) legend() []legendItem {
	if len(c.Series) < 2 {
		return nil
	}
	var l []legendItem
	for i, s := range c.Series {
		l = append(l, legendItem{s.Name, seriesColor(s.Name, i)})
	}
	return l
}

type legendItem struct{ Name, Color string }

// bucketLabel formats a time bucket of the chart for its data table.
func (c *Chart) bucketLabel(t int64) string {
	if c.Bucket == "day" {
		return utc(t).Format(time.DateOnly)
	}
	return utc(t).Format("2006-01-02 15:04")
}
