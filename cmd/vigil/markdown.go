package main

import (
	"regexp"
	"strings"
)

// ANSI styles for rendering a rule's markdown guide on a terminal.
const (
	ansiBold  = "\033[1m"
	ansiUnder = "\033[4m"
	ansiDim   = "\033[2m"
	ansiCyan  = "\033[36m"
	ansiReset = "\033[0m"
)

var (
	mdBold = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	mdCode = regexp.MustCompile("`([^`]+)`")
	mdLink = regexp.MustCompile(`\[([^\]]+)\]\(([^)]+)\)`)
)

// renderMarkdown turns the subset of markdown rule guides use (headings,
// bullets, block quotes, bold, inline code, links) into terminal text.
func renderMarkdown(src string) string {
	var b strings.Builder
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		indent := line[:len(line)-len(trimmed)]
		switch {
		case strings.HasPrefix(trimmed, "#"):
			text := strings.TrimSpace(strings.TrimLeft(trimmed, "#"))
			b.WriteString(ansiBold + ansiUnder + inline(text) + ansiReset)
		case strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* "):
			b.WriteString(indent + "  • " + inline(trimmed[2:]))
		case strings.HasPrefix(trimmed, ">"):
			b.WriteString(ansiDim + "│ " + inline(strings.TrimSpace(trimmed[1:])) + ansiReset)
		default:
			b.WriteString(inline(line))
		}
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

func inline(s string) string {
	s = mdCode.ReplaceAllString(s, ansiCyan+"$1"+ansiReset)
	s = mdBold.ReplaceAllString(s, ansiBold+"$1"+ansiReset)
	return mdLink.ReplaceAllString(s, "$1 <$2>")
}
