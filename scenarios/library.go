package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

//go:embed library/*.yaml
var library embed.FS

// Entry is one scenario of the embedded library.
type Entry struct {
	Name, Description string
}

var (
	listOnce sync.Once
	listed   []Entry
)

// List returns the embedded library, sorted by name. A file that does not
// parse (a test guards against it) is listed with its error as description.
func List() []Entry {
	listOnce.Do(func() {
		for _, name := range libraryNames() {
			data, _ := library.ReadFile("library/" + name + ".yaml")
			e := Entry{Name: name}
			if sc, err := Parse(name+".yaml", data); err != nil {
				e.Description = "(invalid: " + strings.SplitN(err.Error(), "\n", 2)[0] + ")"
			} else {
				e.Description = sc.Description
			}
			listed = append(listed, e)
		}
	})
	return append([]Entry(nil), listed...)
}

// libraryNames returns the embedded scenario names, sorted.
func libraryNames() []string {
	files, _ := fs.Glob(library, "library/*.yaml")
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, strings.TrimSuffix(path.Base(f), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Source returns the YAML text of an embedded scenario ("name" or
// "name.yaml"), for `scenarios show`.
func Source(name string) ([]byte, error) {
	base := strings.TrimSuffix(name, ".yaml")
	if base == "" || strings.ContainsAny(base, `/\`) {
		return nil, unknownScenario(name)
	}
	data, err := library.ReadFile("library/" + base + ".yaml")
	if err != nil {
		return nil, unknownScenario(name)
	}
	return data, nil
}

func unknownScenario(name string) error {
	names := libraryNames()
	return fmt.Errorf("scenarios: no embedded scenario %q%s; embedded: %s (to load a file, give its path, e.g. ./%s.yaml)",
		name, didYouMean(name, names), strings.Join(names, ", "), strings.TrimSuffix(name, ".yaml"))
}

// Load returns a parsed scenario from a file path or an embedded name.
// nameOrPath is a path when it contains a path separator, ends in .yaml
// or .yml, or names a file that exists; otherwise it is an embedded name.
func Load(nameOrPath string) (*Scenario, error) {
	if isPath(nameOrPath) {
		data, err := os.ReadFile(nameOrPath)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(nameOrPath, `/\`) {
				base := strings.TrimSuffix(strings.TrimSuffix(nameOrPath, ".yaml"), ".yml")
				if _, e := Source(base); e == nil {
					return nil, fmt.Errorf("scenarios: %w (the embedded scenario is named %s, without the extension)", err, base)
				}
			}
			return nil, fmt.Errorf("scenarios: %w", err)
		}
		return Parse(nameOrPath, data)
	}
	data, err := Source(nameOrPath)
	if err != nil {
		return nil, err
	}
	return Parse(nameOrPath+".yaml", data)
}

func isPath(s string) bool {
	if strings.ContainsRune(s, '/') || strings.ContainsRune(s, filepath.Separator) ||
		strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml") {
		return true
	}
	fi, err := os.Stat(s)
	return err == nil && !fi.IsDir()
}
