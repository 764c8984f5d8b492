package scenarios

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Leaf is one value a scenario file sets: its override path (the --set
// path that changes it) and the value as written.
type Leaf struct{ Path, Value string }

// Leaves lists every scalar a scenario text sets, in document order,
// addressed by override paths; an empty mapping or list is one leaf ("{}",
// "[]"), and so is a list item that is a mapping (an event), written in
// flow style, so that items compare whole. compare diffs two scenarios'
// leaves to say which settings differ.
func Leaves(file string, data []byte) ([]Leaf, error) {
	p := &parser{file: file}
	root := p.document(data)
	if len(p.probs) > 0 {
		sortProblems(p.probs)
		return nil, &ValidationError{Problems: p.probs}
	}
	var out []Leaf
	var walk func(n *yaml.Node, steps []step)
	walk = func(n *yaml.Node, steps []step) {
		switch n.Kind {
		case yaml.MappingNode:
			if len(n.Content) == 0 {
				out = append(out, Leaf{render(steps), "{}"})
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], append(steps[:len(steps):len(steps)], step{key: n.Content[i].Value}))
			}
		case yaml.SequenceNode:
			if len(n.Content) == 0 {
				out = append(out, Leaf{render(steps), "[]"})
			}
			for i, c := range n.Content {
				item := append(steps[:len(steps):len(steps)], step{index: i, isIdx: true})
				if c.Kind == yaml.MappingNode {
					out = append(out, Leaf{render(item), flowText(c)})
					continue
				}
				walk(c, item)
			}
		case yaml.ScalarNode:
			v := n.Value
			if isNull(n) {
				v = "null"
			} else if strings.ContainsAny(v, "\n") {
				v = strings.TrimSpace(strings.ReplaceAll(v, "\n", " "))
			}
			out = append(out, Leaf{render(steps), v})
		}
	}
	if root != nil {
		walk(root, nil)
	}
	return out, nil
}

// flowText renders a node on one line, without comments: {at: 1h, do: reauth}.
func flowText(n *yaml.Node) string {
	var strip func(*yaml.Node) *yaml.Node
	strip = func(n *yaml.Node) *yaml.Node {
		c := *n
		c.HeadComment, c.LineComment, c.FootComment = "", "", ""
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = strip(k)
		}
		return &c
	}
	c := strip(n)
	flow(c)
	b, err := yaml.Marshal(c)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
