package report

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium. Without it the browser test
// fails in CI (CI set; .ci/chromium.sh installs it) and is skipped
// elsewhere.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (run .ci/chromium.sh)")
	}
	t.Skip("chromium is not installed; run .ci/chromium.sh to run the browser test")
	return ""
}

// pageFacts is what the page reports about itself.
type pageFacts struct {
	Headings []string `json:"headings"`
	Charts   []struct {
		ID    string  `json:"id"`
		W     float64 `json:"w"`
		H     float64 `json:"h"`
		Marks int     `json:"marks"` // rects with a non-zero box
		Label string  `json:"label"` // its accessible title
	} `json:"charts"`
	Tables      int  `json:"tables"`
	HeaderCells int  `json:"headerCells"`
	Scripts     int  `json:"scripts"`
	Overflow    bool `json:"overflow"` // wider than the viewport
}

const factsJS = `(() => {
  const box = e => e.getBoundingClientRect();
  return {
    headings: [...document.querySelectorAll('main section > h2')].map(h => h.textContent.trim()),
    charts: [...document.querySelectorAll('svg.chart')].map(s => ({
      id: s.id, w: box(s).width, h: box(s).height,
      marks: [...s.querySelectorAll('rect')].filter(r => { const b = box(r); return b.width > 0 && b.height > 0; }).length,
      label: (s.querySelector('title') || {}).textContent || '',
    })),
    tables: document.querySelectorAll('table').length,
    headerCells: document.querySelectorAll('thead th[scope=col]').length,
    scripts: document.scripts.length,
    overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
  };
})()`

// TestBrowser opens the report of the shipped example logs in headless
// chromium: every section is there, every chart has a drawn size and
// marks, nothing is written to the console and nothing but the page itself
// is requested. It writes a screenshot (report.png) to $S3LOGS_ARTIFACTS
// or a temporary directory.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test in -short mode")
	}
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	rep, _, err := Build(ctx, Config{Now: time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)}, []string{"../examples/logs"})
	if err != nil {
		t.Fatal(err)
	}
	// Name the source as a reader at the repository root would type it
	// (the screenshot is docs/report.png).
	rep.Sources = []string{"examples/logs/"}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(f, rep); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	pageURL := "file://" + page

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1280, 1700),
	}
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var mu sync.Mutex
	var problems, requests []string
	if err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			problems = append(problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, fmt.Sprintf("log %s (%s): %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 1700), chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	facts, err := chromedp.Run(bctx, chromedp.Evaluate[pageFacts](factsJS))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	// Printed (A4 portrait at 96 dpi is about 794 px wide), the page must
	// still fit its width and keep its charts, without the navigation.
	if _, err := chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(794, 1123)); err != nil {
		t.Fatal(err)
	}
	printed, err := chromedp.Run(bctx, chromedp.Evaluate[pageFacts](factsJS))
	if err != nil {
		t.Fatal(err)
	}
	tocShown, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector('nav.toc')).display !== 'none'`))
	if err != nil {
		t.Fatal(err)
	}
	if printed.Overflow || tocShown || len(printed.Charts) != len(facts.Charts) {
		t.Errorf("print: wider than the page %v, navigation shown %v, %d of %d charts", printed.Overflow, tocShown, len(printed.Charts), len(facts.Charts))
	}
	for _, c := range printed.Charts {
		if c.W < 100 || c.H < 30 || c.Marks == 0 {
			t.Errorf("print: chart %s is %.0fx%.0f px with %d marks", c.ID, c.W, c.H, c.Marks)
		}
	}

	// Give late events (a blocked font or image would log) a moment to
	// arrive before reading them; the page has no timers of its own.
	if err := chromedp.Do(bctx, chromedp.Sleep(200*time.Millisecond)); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}

	var want []string
	for _, s := range rep.Sections {
		want = append(want, s.Title)
	}
	if strings.Join(facts.Headings, "|") != strings.Join(want, "|") {
		t.Errorf("section headings = %q, want %q", facts.Headings, want)
	}
	var wantCharts int
	for _, s := range rep.Sections {
		for _, c := range s.Charts {
			if len(c.Labels) > 0 || len(c.Times) > 0 {
				wantCharts++
			}
		}
	}
	if len(facts.Charts) != wantCharts || wantCharts < 4 {
		t.Errorf("%d charts rendered, want %d (at least 4)", len(facts.Charts), wantCharts)
	}
	for _, c := range facts.Charts {
		if c.W < 100 || c.H < 50 || c.Marks == 0 || c.Label == "" {
			t.Errorf("chart %s: %.0fx%.0f px, %d visible marks, title %q; want a drawn, labelled chart", c.ID, c.W, c.H, c.Marks, c.Label)
		}
	}
	var wantTables int
	for _, s := range rep.Sections {
		wantTables += len(s.Tables)
	}
	if facts.Tables < wantTables || facts.HeaderCells == 0 {
		t.Errorf("%d tables with %d column headers, want at least %d tables with headers", facts.Tables, facts.HeaderCells, wantTables)
	}
	if facts.Scripts != 0 {
		t.Errorf("page has %d scripts, want none", facts.Scripts)
	}
	if facts.Overflow {
		t.Errorf("page is wider than a 1280 px viewport")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("console: %s", p)
	}
	for _, u := range requests {
		if u != pageURL {
			t.Errorf("page requested %s; want no request but the page itself", u)
		}
	}
	if len(requests) == 0 {
		t.Errorf("saw no request for the page itself: network events not observed")
	}

	out := os.Getenv("S3LOGS_ARTIFACTS")
	if out == "" {
		out = dir
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(out, "report.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(shot) < 10_000 {
		t.Errorf("screenshot is only %d bytes", len(shot))
	}
	t.Logf("screenshot: %s (%d KB)", png, len(shot)/1024)
}
