/**
 * The Prometheus text parser behind the cluster gate: per-store series are
 * summed, labels are read (build tag), and a missing series stays
 * distinguishable from 0 so that a gate can never pass on absent data.
 */
import * as assert from "assert";
import { buildTagOf, parsePrometheusText, seriesOf, sumSeries } from "../../provider/cluster/prometheus";

const V23 = `# HELP ranges_underreplicated Number of ranges with fewer live replicas than the replication target
# TYPE ranges_underreplicated gauge
ranges_underreplicated{store="1",node_id="1"} 0
ranges_underreplicated{store="2",node_id="1"} 3
# HELP ranges_unavailable Number of ranges with fewer live replicas than needed for quorum
# TYPE ranges_unavailable gauge
ranges_unavailable{store="1",node_id="1"} 1
ranges_unavailable{store="2",node_id="1"} 0
# HELP liveness_livenodes Number of live nodes in the cluster (will be 0 if this node is not itself live)
# TYPE liveness_livenodes gauge
liveness_livenodes 3
# HELP build_timestamp Build information
# TYPE build_timestamp gauge
build_timestamp{tag="v23.1.11",go_version="go1.19.10"} 1.695e+09
sql_conns 12
`;

describe("provider/prometheus", () => {
  it("sums a per-store series over all stores", () => {
    const s = parsePrometheusText(V23);
    assert.strictEqual(sumSeries(s, "ranges_underreplicated"), 3);
    assert.strictEqual(sumSeries(s, "ranges_unavailable"), 1);
    assert.strictEqual(seriesOf(s, "ranges_underreplicated").length, 2);
  });

  it("reports a missing series as undefined, never as 0", () => {
    const s = parsePrometheusText("# HELP x y\nsql_conns 1\n");
    assert.strictEqual(sumSeries(s, "ranges_underreplicated"), undefined);
  });

  it("reads the running build from the tag label of build_timestamp", () => {
    assert.strictEqual(buildTagOf(parsePrometheusText(V23)), "v23.1.11");
    const v26 = 'build_timestamp{tag="v26.1.0",go_version="go1.23",major="26",minor="1"} 1.7e+09\n';
    assert.strictEqual(buildTagOf(parsePrometheusText(v26)), "v26.1.0");
  });

  it("reads pre-v23.1 series without the node_id label", () => {
    const s = parsePrometheusText('ranges_underreplicated{store="1"} 0\nranges_underreplicated{store="2"} 2\n');
    assert.strictEqual(sumSeries(s, "ranges_underreplicated"), 2);
    assert.deepStrictEqual(s[1].labels, { store: "2" });
  });

  it("reads values in exponent form, with timestamps, and the special floats", () => {
    const s = parsePrometheusText("a 1.5e+03 1700000000000\nb +Inf\nc -Inf\nd NaN\n");
    assert.deepStrictEqual(
      s.map((x) => [x.name, x.value]),
      [
        ["a", 1500],
        ["b", Infinity],
        ["c", -Infinity],
        ["d", NaN],
      ],
    );
  });

  it("unescapes label values and tolerates a trailing comma", () => {
    const s = parsePrometheusText('m{path="a\\"b\\\\c",} 1\n');
    assert.strictEqual(s[0].labels.path, 'a"b\\c');
  });

  it("skips malformed lines without hiding the others", () => {
    const s = parsePrometheusText('garbage line here\nm{unterminated="x} 1\nranges_unavailable{store="1"} 0\nx notanumber\n');
    assert.deepStrictEqual(
      s.map((x) => x.name),
      ["ranges_unavailable"],
    );
  });

  it("with `only`, keeps exactly the samples of those series that the full parse finds", () => {
    const text = `${V23}  ranges_unavailable{store="3"} 4\r\nranges_unavailable_x 9\nraftlog_behind 7`;
    const only = new Set(["ranges_unavailable", "build_timestamp", "raftlog_behind"]);
    const all = parsePrometheusText(text).filter((x) => only.has(x.name));
    assert.ok(all.length >= 4, "the fixture has samples of every kept series");
    assert.deepStrictEqual(parsePrometheusText(text, only), all);
    assert.strictEqual(sumSeries(parsePrometheusText(text, only), "ranges_unavailable"), 5);
  });
});
