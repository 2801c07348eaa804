package download

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path"
	"strings"
	"text/tabwriter"

	"github.com/actsh/actsh/act/config"
)

// DefaultDataDir is the data directory when neither --data-dir nor
// $DATA_DIR is set, as in ml-act's configs
// (data_dir: ${oc.env:DATA_DIR,/mnt/data}).
const DefaultDataDir = "/mnt/data"

const usage = `usage: actsh download [--data-dir DIR] [--mirror URL] [--list] [--timeout D] [names...]

Downloads the data sets of the AcT paper into the data directory (--data-dir,
else $DATA_DIR, else /mnt/data), in the layout ml-act reads. With no names it
fetches what ml-act's download_external_data.py fetches: coco, rtp, jigsaw.
--list shows every source, where it goes and whether it is there.

Files already present are kept (and checked against their SHA-256 where one
is published). Downloads go to DEST.part and resume from there; Ctrl-C leaves
only .part files. Without network each source fails within seconds, naming
the URL and where to put the file by hand.

--mirror URL fetches every file from a copy of the same paths: the scheme,
host and leading path of each source URL are replaced by URL's, so
--mirror http://host/copy turns
  https://huggingface.co/datasets/allenai/... into http://host/copy/datasets/allenai/...
--mirror file:///media/usb/copy reads such a copy from disk.

flags:
`

// Main is `actsh download`: it parses args (the arguments after
// "download"), fetches the named sources and returns the exit status: 0,
// 1 when a source failed, 2 on a usage error. Ctrl-C stops it, keeping
// partial downloads to resume.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return run(ctx, args, stdout, stderr, Sources)
}

// run is Main with its context and source table given.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, table []Source) int {
	fs := flag.NewFlagSet("actsh download", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "", "data directory (default $DATA_DIR, else "+DefaultDataDir+")")
	mirror := fs.String("mirror", "", "base `URL` of a copy of the same paths (http, https or file)")
	list := fs.Bool("list", false, "list the sources, their destinations and whether they are present")
	timeout := fs.Duration("timeout", DefaultTimeout, "longest wait to connect, for response headers, or for more data")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nsources: %s\n", strings.Join(names(table), ", "))
	}
	// Flags may follow names: parse, take a name, parse the rest.
	var picked []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		picked = append(picked, fs.Arg(0))
		args = fs.Args()[1:]
	}
	sources, err := choose(table, picked)
	if err != nil {
		fmt.Fprintf(stderr, "actsh download: %v\n", err)
		return 2
	}
	if *mirror != "" {
		if u, err := url.Parse(*mirror); err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
			fmt.Fprintf(stderr, "actsh download: --mirror %q: want an http, https or file URL\n", *mirror)
			return 2
		}
	}

	dir, origin := *dataDir, "--data-dir"
	if dir == "" {
		dir, origin = os.Getenv("DATA_DIR"), "$DATA_DIR"
	}
	if dir == "" {
		dir, origin = DefaultDataDir, "default; $DATA_DIR is not set"
	}
	fmt.Fprintf(stdout, "data dir: %s (%s)\n", dir, origin)

	if *list {
		printList(stdout, dir, table)
		return 0
	}
	o := Options{DataDir: dir, Mirror: *mirror, Timeout: *timeout, Log: stdout, Progress: stderr}
	failed := 0
	for _, s := range sources {
		if err := Fetch(ctx, s, o); err != nil {
			fmt.Fprintf(stderr, "actsh download: %v\n", err)
			failed++
		}
		if ctx.Err() != nil {
			break
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "actsh download: %d of %d sources failed\n", failed, len(sources))
		return 1
	}
	return 0
}

// choose returns the sources named, or the default ones when none is.
func choose(table []Source, picked []string) ([]Source, error) {
	var out []Source
	seen := map[string]bool{}
	for _, name := range picked {
		i := findSource(table, name)
		if i < 0 {
			hint := ""
			if n := nearest(name, names(table)); n != "" {
				hint = fmt.Sprintf("; did you mean %q?", n)
			}
			return nil, fmt.Errorf("unknown source %q%s (sources: %s)", name, hint, strings.Join(names(table), ", "))
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, table[i])
		}
	}
	if len(picked) == 0 {
		for _, s := range table {
			if s.Default {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

func findSource(table []Source, name string) int {
	for i, s := range table {
		if s.Name == name {
			return i
		}
	}
	return -1
}

func names(table []Source) []string {
	out := make([]string, len(table))
	for i, s := range table {
		out[i] = s.Name
	}
	return out
}

// nearest is the likeliest source meant by a mistyped name ("" when none
// is close), as config errors suggest keys.
func nearest(name string, candidates []string) string { return config.Nearest(name, candidates) }

// printList writes the table: name, what, destination, size, presence.
func printList(w io.Writer, dataDir string, table []Source) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tWHAT\tDESTINATION\tSIZE\tPRESENT")
	for _, s := range table {
		name := s.Name
		if s.Default {
			name += " *"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, s.What, destination(s), size(s), presence(dataDir, s))
	}
	tw.Flush()
	fmt.Fprintln(w, "* fetched when no name is given (what ml-act's download_external_data.py fetches)")
}

// destination is the single output of s, or the folder holding them all.
func destination(s Source) string {
	outs := s.Outputs()
	if len(outs) == 1 {
		return outs[0]
	}
	dir := path.Dir(outs[0])
	for _, o := range outs[1:] {
		for !strings.HasPrefix(o, dir+"/") && dir != "." {
			dir = path.Dir(dir)
		}
	}
	return fmt.Sprintf("%s/ (%d files)", dir, len(outs))
}

// size is the download size of s, "?" when a file's is not known.
func size(s Source) string {
	var n int64
	for _, f := range s.Files {
		if f.URL == "" {
			return "by hand"
		}
		if f.Size == 0 {
			return "?"
		}
		n += f.Size
	}
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f kB", float64(n)/1e3)
}

// presence says whether s's outputs are in dataDir: yes, no, or how many.
func presence(dataDir string, s Source) string {
	outs := s.Outputs()
	n := 0
	for _, o := range outs {
		if exists(abs(dataDir, o)) {
			n++
		}
	}
	switch n {
	case len(outs):
		return "yes"
	case 0:
		return "no"
	}
	return fmt.Sprintf("%d/%d", n, len(outs))
}
