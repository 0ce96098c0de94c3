package evidence

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telltale/telltale/internal/testtool"
	"github.com/telltale/telltale/store"
)

// requireHARValidator is set by .ci/run once it has installed har-validator,
// so that CI fails rather than skips when it is missing.
const requireHARValidator = "TELLTALE_REQUIRE_HAR_VALIDATOR"

// TestHAR_ValidatesWithHarValidator checks capture.har with an independent
// validator, the npm package har-validator (HAR 1.2 JSON schema).
func TestHAR_ValidatesWithHarValidator(t *testing.T) {
	modules, _ := filepath.Abs(filepath.Join("..", ".ci", "node_modules"))
	node, err := exec.LookPath("node")
	_, statErr := os.Stat(filepath.Join(modules, "har-validator"))
	if err != nil || statErr != nil {
		msg := "needs node and the npm package har-validator in .ci/node_modules " +
			"(npm install --prefix .ci har-validator@5, as .ci/run does)"
		if os.Getenv(requireHARValidator) != "" {
			t.Fatal(msg)
		}
		testtool.Missing(t, msg)
	}
	st, k := newSecrets(t)
	exchange(t, st, 3) // a gzip response
	longBodies(t, st)
	st.Append(t.Context(), request("las.cloud.com", "GET", "https://las.cloud.com/in-flight"), nil)
	signTree(t, st, k)
	for _, redact := range []bool{false, true} {
		_, files := unzip(t, export(t, st, k, Selection{Redact: redact}))
		har := filepath.Join(t.TempDir(), "capture.har")
		os.WriteFile(har, files[FileHAR], 0o600)
		out, err := exec.Command(node, filepath.Join("testdata", "harcheck.js"), modules, har).CombinedOutput()
		if err != nil {
			t.Fatalf("redact %v: har-validator: %v\n%s", redact, err, out)
		}
		t.Logf("redact %v: %s", redact, strings.TrimSpace(string(out)))
	}
}

// readmeTools are the programs README.txt's commands run.
var readmeTools = []string{"bash", "sha256sum", "awk", "base64", "openssl", "jq", "python3"}

// TestReadme_CommandsWork runs every command README.txt gives, in an
// unzipped bundle, with the standard tools it names.
func TestReadme_CommandsWork(t *testing.T) {
	testtool.Need(t, readmeTools...)
	dir, k := bigFixture(t)
	st := mustOpen(t, dir, store.Options{ReadOnly: true})
	caps, err := st.List(store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < len(caps); i += 97 {
		ids = append(ids, caps[i].ID)
	}
	runReadme(t, export(t, st, k, Selection{IDs: ids}), "0 v2 heads") // fill's heads are v2: want more
	secrets, sk := newSecrets(t)
	tokenRequest(t, secrets)
	signTree(t, secrets, sk)
	for _, redact := range []bool{true, false} {
		runReadme(t, export(t, secrets, sk, Selection{Redact: redact}), "0 sealed bodies")
	}
}

// runReadme runs README.txt's commands in an unzipped bundle; the v2
// script must not print notWant.
func runReadme(t *testing.T, bundle []byte, notWant string) {
	t.Helper()
	names, files := unzip(t, bundle)
	work := t.TempDir()
	for _, n := range names {
		os.MkdirAll(filepath.Dir(filepath.Join(work, n)), 0o700)
		os.WriteFile(filepath.Join(work, n), files[n], 0o600)
	}
	cmds := readmeCommands(string(files[FileReadme]))
	if len(cmds) < 10 {
		t.Fatalf("README.txt: found %d commands", len(cmds))
	}
	for _, c := range cmds {
		cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", c)
		cmd.Dir = work
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("README command failed: %v\n%s\n%s", err, c, out)
		}
		switch {
		case !strings.HasPrefix(c, "python3"):
		case strings.Contains(c, "head_fields"):
			if !strings.Contains(string(out), "sealed bodies match their leaves") || strings.Contains(string(out), notWant) {
				t.Errorf("v2 script: %s", out)
			}
		case !strings.Contains(string(out), "records proven under root"):
			t.Errorf("proof script: %s", out)
		}
		if strings.HasPrefix(c, "python3") {
			t.Logf("%s", out)
		}
	}
	// The same commands catch a changed body.
	for _, n := range names {
		if strings.HasPrefix(n, DirBodies) {
			os.WriteFile(filepath.Join(work, n), append(files[n], 'x'), 0o600)
			break
		}
	}
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", cmds[0])
	cmd.Dir = work
	if err := cmd.Run(); err == nil {
		t.Errorf("%q passed with a changed body", cmds[0])
	}
}

// readmeCommands returns the "  $ " lines of README.txt, each with its
// here-document.
func readmeCommands(readme string) []string {
	var cmds []string
	sc := bufio.NewScanner(strings.NewReader(readme))
	for sc.Scan() {
		c, ok := strings.CutPrefix(sc.Text(), "  $ ")
		if !ok {
			continue
		}
		if strings.HasSuffix(c, "<<'EOF'") {
			for sc.Scan() {
				line := strings.TrimPrefix(sc.Text(), "  ")
				c += "\n" + line
				if line == "EOF" {
					break
				}
			}
		}
		cmds = append(cmds, c)
	}
	return cmds
}
