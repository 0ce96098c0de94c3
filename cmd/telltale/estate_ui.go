package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/admin"
	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/estate"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

func newEstateUICmd(file *string) *cobra.Command {
	var data, listen string
	var days int
	cmd := &cobra.Command{
		Use:   "ui [--data DIR] [--listen ADDR]",
		Short: "Serve the review UI over every license server of the estate, read-only",
		Long: `Verify every log of estate.yaml, restore each into --data (a new dir;
default a temporary one) and serve, on loopback, an estate page (each
license server with its last upload, lag and problems, and the position
per license summed over them and per server) that opens each license
server's own review UI (captures, endpoints, position, personal data),
read-only: nothing is signed, entered or changed. It prints a single-use
link to sign in, and serves until Ctrl-C.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := openEstate(cmd, *file)
			if err != nil {
				return err
			}
			if data == "" {
				if data, err = os.MkdirTemp("", "telltale-estate-ui-"); err != nil {
					return err
				}
				defer os.RemoveAll(data)
			}
			ui, err := openEstateUI(cmd, e, data, days)
			if err != nil {
				return err
			}
			defer ui.close()
			return ui.serve(cmd.Context(), cmd.OutOrStdout(), listen)
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "new dir to restore the logs into (kept); default: a temporary one")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "address of the estate page (loopback)")
	cmd.Flags().IntVar(&days, "days", 30, "the position's period: this many usage days up to each server's latest reported")
	return cmd
}

// estateUI is the estate page and one read-only review UI per license
// server, each on its own loopback port.
type estateUI struct {
	report  *estate.Report
	servers []*serverUI
	per     []serverPosition

	mu     sync.Mutex // guards nonces and live
	nonces map[string]bool
	live   map[string]bool
}

// serverUI is one license server's review UI over its restored store.
type serverUI struct {
	name  string
	token string
	st    *store.Store
	an    *analysis.Analyzer
	h     *admin.Handler
	srv   *http.Server
	url   string
}

// openEstateUI verifies and restores every log, computes the positions
// and starts a review UI per log.
func openEstateUI(cmd *cobra.Command, e *estate.Estate, data string, days int) (*estateUI, error) {
	rep, err := e.Review(cmd.Context(), showReview(cmd.ErrOrStderr(), e))
	if err != nil {
		return nil, err
	}
	rep.Print(cmd.OutOrStdout())
	ui := &estateUI{report: rep, nonces: map[string]bool{}, live: map[string]bool{}}
	for i, l := range e.Logs {
		if !rep.Logs[i].OK() {
			continue // listed with its problems; not restored
		}
		dir := filepath.Join(data, fmt.Sprintf("%02d", i+1))
		if _, err := restoreLog(cmd, e, l, dir); err != nil {
			return nil, fmt.Errorf("%s: %w", l.Name, err)
		}
		pos, err := positionOf(dir, days)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.Name, err)
		}
		ui.per = append(ui.per, serverPosition{name: l.Name, pos: pos})
		s, err := startServerUI(l, dir)
		if err != nil {
			ui.close()
			return nil, fmt.Errorf("%s: %w", l.Name, err)
		}
		ui.servers = append(ui.servers, s)
	}
	return ui, nil
}

// startServerUI serves the review UI of one restored store on a loopback
// port, read-only.
func startServerUI(l estate.Log, dir string) (*serverUI, error) {
	cfg, err := configs.Parse(nil)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		return nil, err
	}
	s := &serverUI{name: l.Name, token: randomHex(), st: st}
	o := server.AnalysisOptions(cfg.Inspect, zerolog.Nop())
	if s.an, err = analysis.New(st, o); err != nil {
		st.Close()
		return nil, err
	}
	s.an.Start()
	v, _ := note.NewVerifier(l.Key)
	cat, ents := server.Licenses(cfg.LicenseSection())
	s.h = admin.NewHandler(admin.Options{Store: st, Token: s.token, Analysis: s.an, Evidence: restoredEvidence{st: st, key: l.Key, v: v},
		Templates: analysis.Templates(cfg.Inspect.Templates), Names: analysis.NewNames(o.Rules), Catalog: cat, Entitlements: ents,
		TempDir: filepath.Join(dir, store.TmpDir)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.close()
		return nil, err
	}
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: readOnly(s.h), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *serverUI) close() {
	if s.srv != nil {
		s.srv.Close()
	}
	s.h.Close()
	s.an.Close()
	s.st.Close()
}

// loginURL asks the review UI for a single-use login link, as
// `telltale ui` does, in-process.
func (s *serverUI) loginURL() (string, error) {
	req := httptest.NewRequest(http.MethodPost, "/api/login/nonce", nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	var out struct{ Path string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Path == "" {
		return "", fmt.Errorf("login link: %d %s", rec.Code, rec.Body.String())
	}
	return s.url + out.Path, nil
}

// readOnly lets through what reads, signs in and checks; it refuses what
// would sign, enter or change anything.
func readOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet || r.Method == http.MethodHead,
			r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/login"),
			r.Method == http.MethodPost && (r.URL.Path == "/api/logout" || r.URL.Path == "/api/verify" || r.URL.Path == "/api/reconcile"):
			h.ServeHTTP(w, r)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"error":"the estate review is read-only: nothing is signed, entered or changed"}`+"\n")
		}
	})
}

// restoredEvidence verifies a restored log with its key; exports come
// from the archive (telltale estate export), not from the review UI: no
// log key signs here.
type restoredEvidence struct {
	st  *store.Store
	key string
	v   note.Verifier
}

func (e restoredEvidence) Key() string { return e.key }

func (e restoredEvidence) Export(context.Context, io.Writer, evidence.Selection) (*evidence.Manifest, int, error) {
	return nil, 0, errors.New("the estate review is read-only: export a log with telltale estate export")
}

func (e restoredEvidence) Verify(context.Context) (*evidence.Report, error) {
	return evidence.Verify(e.st, evidence.VerifyOptions{Verifier: e.v})
}

var _ admin.Evidence = restoredEvidence{}

func (ui *estateUI) close() {
	for _, s := range ui.servers {
		s.close()
	}
}

// serve runs the estate page until ctx ends.
func (ui *estateUI) serve(ctx context.Context, out io.Writer, listen string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", ui.login)
	mux.HandleFunc("GET /{$}", ui.signedIn(ui.page))
	mux.HandleFunc("GET /open/{n}", ui.signedIn(ui.open))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(out, "Estate review: http://%s/login?n=%s (single use; serving until Ctrl-C)\n", ln.Addr(), ui.nonce())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func (ui *estateUI) nonce() string {
	n := randomHex()
	ui.mu.Lock()
	ui.nonces[n] = true
	ui.mu.Unlock()
	return n
}

// login burns a nonce and sets the session cookie.
func (ui *estateUI) login(w http.ResponseWriter, r *http.Request) {
	n := r.URL.Query().Get("n")
	ui.mu.Lock()
	ok := ui.nonces[n]
	delete(ui.nonces, n)
	sess := randomHex()
	if ok {
		ui.live[sess] = true
	}
	ui.mu.Unlock()
	if !ok {
		http.Error(w, "this link was used or is unknown: restart telltale estate ui for a new one", http.StatusUnauthorized)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "telltale_estate", Value: sess, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (ui *estateUI) signedIn(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("telltale_estate")
		ui.mu.Lock()
		ok := err == nil && ui.live[c.Value]
		ui.mu.Unlock()
		if !ok {
			http.Error(w, "sign in with the link telltale estate ui printed", http.StatusUnauthorized)
			return
		}
		next(w, r)
	}
}

// open sends the browser to a license server's review UI, signed in.
func (ui *estateUI) open(w http.ResponseWriter, r *http.Request) {
	var s *serverUI
	for i, c := range ui.servers {
		if r.PathValue("n") == fmt.Sprint(i+1) {
			s = c
		}
	}
	if s == nil {
		http.NotFound(w, r)
		return
	}
	u, err := s.loginURL()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

var estatePage = template.Must(template.New("estate").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Telltale estate review</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}.bad{color:#a00}</style>
</head><body>
<h1>Estate review</h1>
<p>Read from the archive alone; every license server's review opens read-only.</p>
<h2>License servers</h2>
<table id="servers"><tr><th>License server</th><th>Origin</th><th>Records</th><th>Checkpoints</th><th>Last upload</th><th>Lag</th><th>Status</th><th></th></tr>
{{range .Servers}}<tr><td>{{.Name}}</td><td>{{.Origin}}</td><td>{{.Size}}</td><td>{{.Checkpoints}}</td><td>{{.Last}}</td><td>{{.Lag}}</td>
<td{{if .Problems}} class="bad"{{end}}>{{.Status}}{{range .Problems}}<br>{{.}}{{end}}</td><td>{{if .Open}}<a href="{{.Open}}">review</a>{{end}}</td></tr>
{{end}}</table>
<h2>Position per license</h2>
<table id="position"><tr><th>License</th><th>License server</th><th>Installed</th><th>Peak in use</th></tr>
{{range .Licenses}}<tr><td>{{.Name}}</td><td><b>all</b></td><td><b>{{.Installed}}</b></td><td><b>{{.Peak}}</b></td></tr>
{{range .Servers}}<tr><td></td><td>{{.Name}}</td><td>{{.Installed}}</td><td>{{.Peak}}</td></tr>{{end}}
{{end}}</table>
<p>A sum of peaks is an upper bound: the license servers may peak on different days.</p>
</body></html>
`))

// page is the estate page.
func (ui *estateUI) page(w http.ResponseWriter, _ *http.Request) {
	type srv struct {
		Name, Origin, Last, Lag, Status, Open string
		Size                                  uint64
		Checkpoints                           int
		Problems                              []string
	}
	type line struct{ Name, Installed, Peak string }
	type lic struct {
		Name, Installed, Peak string
		Servers               []line
	}
	var data struct {
		Servers  []srv
		Licenses []lic
	}
	n := 0
	for _, l := range ui.report.Logs {
		s := srv{Name: l.Name, Origin: l.Origin, Size: l.Size, Checkpoints: l.Checkpoints, Status: "verified", Problems: l.Problems, Last: "-", Lag: "-"}
		if !l.Latest.IsZero() {
			s.Last, s.Lag = l.Latest.UTC().Format("2006-01-02 15:04"), ui.report.Time.Sub(l.Latest).Round(time.Minute).String()
		}
		if l.OK() {
			n++
			s.Open = fmt.Sprintf("/open/%d", n)
		} else {
			s.Status = "FAILED"
		}
		data.Servers = append(data.Servers, s)
	}
	for _, sum := range sumPositions(ui.per) {
		l := lic{Name: sum.name, Installed: fmt.Sprintf("%g", sum.installed), Peak: fmt.Sprintf("%g", sum.peak)}
		for _, r := range sum.rows {
			l.Servers = append(l.Servers, line{r.server, known(r.installed, r.knownInst), known(r.peak, r.knownPeak)})
		}
		data.Licenses = append(data.Licenses, l)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	estatePage.Execute(w, data)
}

func randomHex() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
