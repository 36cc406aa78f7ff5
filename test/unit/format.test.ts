import { test } from "node:test";
import assert from "node:assert/strict";
import { binarySize, formatList, humanDuration, humanSize, renderTemplate, table } from "../../src/cli/format.js";

test("table pads columns to 10, or with three spaces, like docker's tabwriter", () => {
  assert.equal(table(["A", "LONGER"], [["xxxx", "y"], ["z", "w"]]), "A         LONGER\nxxxx      y\nz         w\n");
  assert.equal(table(["NAME", "X"], [["a-much-longer-name", "y"]]), "NAME                 X\na-much-longer-name   y\n");
});

test("a cell's width is its characters, as Go counts runes: a pair of surrogates is one", () => {
  assert.equal(table(["A", "B"], [["\u{1D4B3}\u{1D4B3}", "y"]]), `A         B\n\u{1D4B3}\u{1D4B3}${" ".repeat(8)}y\n`);
  assert.equal(table(["A", "B"], [["\u{1D4B3}".repeat(12), "y"]]), `A${" ".repeat(14)}B\n${"\u{1D4B3}".repeat(12)}   y\n`);
});

test("human durations match docker's wording", () => {
  assert.equal(humanDuration(400), "Less than a second");
  assert.equal(humanDuration(1000), "1 second");
  assert.equal(humanDuration(42_000), "42 seconds");
  assert.equal(humanDuration(65_000), "About a minute");
  assert.equal(humanDuration(3 * 3600_000), "3 hours");
  assert.equal(humanDuration(3 * 86400_000), "3 days");
});

test("sizes: decimal for images, binary for stats", () => {
  assert.equal(humanSize(999), "999B");
  assert.equal(humanSize(1_234_567), "1.23MB");
  assert.equal(humanSize(4100), "4.1kB");
  assert.equal(binarySize(1536 * 1024), "1.5MiB");
});

test("templates: fields, json, join, escapes", () => {
  const v = { ID: "abc", Names: ["x", "y"], State: { Status: "running" } };
  assert.equal(renderTemplate("{{.ID}}\\t{{.State.Status}}", v), "abc\trunning");
  assert.equal(renderTemplate("{{json .Names}}", v), '["x","y"]');
  assert.equal(renderTemplate('{{join .Names ","}}', v), "x,y");
  assert.equal(renderTemplate("{{upper .ID}}", v), "ABC");
  assert.equal(renderTemplate("{{.Missing}}", v), "<no value>");
  assert.throws(() => renderTemplate("{{bogus}}", v), /function "bogus" not defined/);
});

test("templates print slices and maps as Go does, nil as <nil>", () => {
  const v = { Names: ["a", "b"], Labels: { z: "1", a: "2" }, Health: null, Cmd: [], N: 3 };
  assert.equal(renderTemplate("{{.Names}}", v), "[a b]");
  assert.equal(renderTemplate("{{.Labels}}", v), "map[a:2 z:1]");
  assert.equal(renderTemplate("{{.Health}}", v), "<nil>");
  assert.equal(renderTemplate("{{.Cmd}} {{.N}}", v), "[] 3");
});

test("templates: range, index, len, if/else, with, variables, pipes and docker's functions", () => {
  const v = { Names: ["web", "db"], Labels: { "com.x": "1" }, Env: ["A=1", "B=2"], Name: "hello world", Empty: "" };
  assert.equal(renderTemplate("{{range .Names}}[{{.}}]{{end}}", v), "[web][db]");
  assert.equal(renderTemplate("{{range $i, $n := .Names}}{{$i}}={{$n}} {{end}}", v), "0=web 1=db ");
  assert.equal(renderTemplate("{{range $k, $v := .Labels}}{{$k}}:{{$v}}{{end}}", v), "com.x:1");
  assert.equal(renderTemplate("{{range .Nope}}x{{else}}none{{end}}", v), "none");
  assert.equal(renderTemplate('{{index .Labels "com.x"}} {{index .Names 1}} {{len .Names}}', v), "1 db 2");
  assert.equal(renderTemplate("{{if .Empty}}yes{{else if .Name}}name{{else}}no{{end}}", v), "name");
  assert.equal(renderTemplate("{{with .Labels}}{{len .}}{{end}}", v), "1");
  assert.equal(renderTemplate("{{$n := len .Names}}{{$n}}", v), "2");
  assert.equal(renderTemplate('{{.Name | upper}} {{title .Name}} {{lower "AB"}}', v), "HELLO WORLD Hello World ab");
  assert.equal(renderTemplate('{{split "a:b:c" ":"}} {{join (split "a:b" ":") "-"}}', v), "[a b c] a-b");
  assert.equal(renderTemplate("{{truncate .Name 5}}|{{pad .Empty 1 2}}|", v), "hello|   |");
  assert.equal(renderTemplate('{{json .Labels}} {{printf "%5s|%-4d|%q" "ab" 7 "x"}}', v), '{"com.x":"1"}    ab|7   |"x"');
  assert.equal(renderTemplate('{{if and (eq (len .Names) 2) (ne .Name "x")}}ok{{end}}', v), "ok");
  assert.equal(renderTemplate("{{range .Env}}{{if eq . \"B=2\"}}{{break}}{{end}}{{.}};{{end}}", v), "A=1;");
  assert.equal(renderTemplate("{{- /* a comment */ -}} a {{- .Empty -}} b", v), "ab");
  assert.throws(() => renderTemplate("{{range .Names}}", v), /missing \{\{end\}\}/);
});

test("a method on a row takes its arguments, as docker's {{.Label \"key\"}}", () => {
  const row = { Labels: "a=1", Label: (k: string) => ({ a: "1" })[k] ?? "" };
  assert.equal(renderTemplate('{{.Label "a"}}/{{.Label "b"}}', row), "1/");
});

const LIST = { table: "{{.ID}}\\t{{.Names}}", headers: { ID: "CONTAINER ID", Names: "NAMES" } };

test("--format table: a header row from the columns named, rows aligned as docker aligns them", () => {
  const rows = [{ ID: "abc", Names: "web", State: "running" }, { ID: "defabcdefabcdef", Names: "db", State: "exited" }];
  assert.equal(formatList(rows, "table {{.ID}}\\t{{.State}}", LIST), "CONTAINER ID      STATE\nabc               running\ndefabcdefabcdef   exited\n");
  assert.equal(formatList(rows, undefined, LIST), formatList(rows, "table", LIST), "no format and `table` are the default table");
  assert.equal(formatList([], "table {{.Names}}", LIST), "NAMES\n", "the header is printed for an empty list too");
  assert.equal(formatList(rows, "{{.Names}}", LIST), "web\ndb\n", "a plain template has no header");
});

test("--format json prints one object a line", () => {
  assert.equal(formatList([{ a: 1 }, { a: 2 }], "json", LIST), '{"a":1}\n{"a":2}\n');
  assert.equal(formatList([{ a: 1 }], "{{.a}}", LIST), "1\n");
});
