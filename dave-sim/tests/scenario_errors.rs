//! One test per kind of scenario mistake (issue 4): each error must name the JSON path, the
//! line and column, and the problem — never a panic, never a silent default.

use dave_sim::scenario::{self, Override, ScenarioError};

const GOOD: &str = r#"{
  "name": "t",
  "duration": "30s",
  "network": { "loss": { "bernoulli": 0.01 } },
  "nodes": { "count": 10, "config": { "min_work": 4 } },
  "edges": { "count": 2, "seeds": 3 },
  "workload": { "writers": 2, "put_every": "5s", "readers": 2, "get_every": "5s", "work_bits": 4 },
  "expect": { "get_success_rate": ">= 0.9" }
}"#;

/// Parses `text`; expects an `Invalid` error and returns (path, line, column, problem).
fn invalid(text: &str) -> (String, usize, usize, String) {
    match scenario::parse("s.json", text, &[]) {
        Err(ScenarioError::Invalid {
            file,
            path,
            line,
            column,
            problem,
        }) => {
            assert_eq!(file, "s.json");
            let shown = ScenarioError::Invalid {
                file: file.clone(),
                path: path.clone(),
                line,
                column,
                problem: problem.clone(),
            }
            .to_string();
            assert!(
                shown.starts_with(&format!("s.json:{line}:{column}: at `{path}`")),
                "{shown}"
            );
            (path, line, column, problem)
        }
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

fn replace(old: &str, new: &str) -> String {
    assert!(GOOD.contains(old), "test setup: {old:?} not in GOOD");
    GOOD.replacen(old, new, 1)
}

#[test]
fn the_good_scenario_parses() {
    let s = scenario::parse("s.json", GOOD, &[]).unwrap();
    assert_eq!(s.nodes.count, 10);
}

#[test]
fn unknown_field_is_rejected_with_its_path() {
    let (path, line, _, problem) = invalid(&replace(r#""loss": {"#, r#""los": 1, "loss": {"#));
    assert_eq!(path, "network.los");
    assert_eq!(line, 4);
    assert!(problem.contains("unknown field `los`"), "{problem}");
}

#[test]
fn wrong_type_is_rejected() {
    let (path, line, _, problem) = invalid(&replace(r#""count": 10"#, r#""count": "ten""#));
    assert_eq!((path.as_str(), line), ("nodes.count", 5));
    assert!(problem.contains("invalid type"), "{problem}");
}

#[test]
fn bad_duration_is_rejected() {
    let (path, line, column, problem) =
        invalid(&replace(r#""duration": "30s""#, r#""duration": "30 secs""#));
    assert_eq!((path.as_str(), line), ("duration", 3));
    assert!(column > 10);
    assert!(problem.contains("unknown unit"), "{problem}");
    let (_, _, _, problem) = invalid(&replace(r#""duration": "30s""#, r#""duration": "30""#));
    assert!(problem.contains("needs a unit"), "{problem}");
}

#[test]
fn bad_expect_bound_is_rejected() {
    let (path, line, _, problem) = invalid(&replace(r#"">= 0.9""#, r#""at least 0.9""#));
    assert_eq!((path.as_str(), line), ("expect.get_success_rate", 8));
    assert!(problem.contains("comparison and a number"), "{problem}");
}

#[test]
fn unknown_metric_in_expect_is_rejected() {
    let (path, line, _, problem) =
        invalid(&replace(r#""get_success_rate""#, r#""get_sucess_rate""#));
    assert_eq!(line, 8);
    assert!(path.starts_with("expect"), "{path}");
    assert!(
        problem.contains("unknown metric `get_sucess_rate`"),
        "{problem}"
    );
}

#[test]
fn missing_field_is_rejected() {
    let (path, _, _, problem) = invalid(&replace(r#""count": 10, "#, ""));
    assert_eq!(path, "nodes");
    assert!(problem.contains("missing field `count`"), "{problem}");
}

#[test]
fn invalid_json_is_rejected_with_position() {
    let (_, line, column, problem) =
        invalid(&replace(r#""duration": "30s","#, r#""duration": "30s",,"#));
    assert_eq!(line, 3);
    assert!(column >= 20, "column {column}");
    assert!(!problem.is_empty());
    let (path, _, _, problem) = invalid(&format!("{GOOD} trailing"));
    assert_eq!(path, ".");
    assert!(problem.contains("trailing"), "{problem}");
}

#[test]
fn out_of_range_value_is_rejected() {
    let (path, line, _, problem) = invalid(&replace(r#""bernoulli": 0.01"#, r#""bernoulli": 1.5"#));
    assert_eq!((path.as_str(), line), ("network.loss.bernoulli", 4));
    assert!(problem.contains("between 0 and 1"), "{problem}");
}

#[test]
fn cross_field_rule_points_at_the_offending_value() {
    let (path, line, column, problem) = invalid(&replace(r#""seeds": 3"#, r#""seeds": 30"#));
    assert_eq!((path.as_str(), line), ("edges.seeds", 6));
    assert_eq!(column, 35, "column of the value 30");
    assert!(problem.contains("only 10 nodes"), "{problem}");
    let (path, line, _, problem) = invalid(&replace(
        r#""duration": "30s""#,
        r#""duration": "30s", "sample_every": "1us""#,
    ));
    assert_eq!((path.as_str(), line), ("sample_every", 3));
    assert!(problem.contains("more than 100000 samples"), "{problem}");
    let (path, _, _, problem) = invalid(&replace(r#""work_bits": 4"#, r#""work_bits": 2"#));
    assert_eq!(path, "workload.work_bits");
    assert!(problem.contains("min_work"), "{problem}");
}

#[test]
fn adversary_mistakes_name_the_field_and_its_position() {
    let group = |g: &str| replace(r#""expect""#, &format!(r#""adversaries": [{g}], "expect""#));
    // A misspelt parameter of one behaviour.
    let (path, line, _, problem) = invalid(&group(
        r#"{"behaviour": {"eclipse": {"victim": 1}}, "addresses": 10}"#,
    ));
    assert_eq!(
        (path.as_str(), line),
        ("adversaries[0].behaviour.eclipse.victim", 8)
    );
    assert!(problem.contains("unknown field `victim`"), "{problem}");
    // An unknown behaviour.
    let (path, _, _, problem) =
        invalid(&group(r#"{"behaviour": {"flooder": {}}, "addresses": 10}"#));
    assert_eq!(path, "adversaries[0].behaviour");
    assert!(problem.contains("unknown variant `flooder`"), "{problem}");
    // An unknown field of the group.
    let (path, _, _, problem) = invalid(&group(
        r#"{"behaviour": {"liar": {"keep": 0.5}}, "addresses": 10, "size": 3}"#,
    ));
    assert_eq!(path, "adversaries[0].size");
    assert!(problem.contains("unknown field `size`"), "{problem}");
    // Cross-field rules, located in the text.
    let (path, line, _, problem) = invalid(&group(
        r#"{"behaviour": {"eclipse": {}}, "addresses": 10, "ipv4_24s": 11}"#,
    ));
    assert_eq!((path.as_str(), line), ("adversaries.0.ipv4_24s", 8));
    assert!(
        problem.contains("between 1 and the group's 10 addresses"),
        "{problem}"
    );
    let (path, _, _, problem) = invalid(&group(
        r#"{"behaviour": {"eclipse": {"victims": 9}}, "addresses": 10}"#,
    ));
    assert_eq!(path, "adversaries.0.behaviour.eclipse.victims");
    assert!(problem.contains("non-seed"), "{problem}");
    let (path, _, _, problem) = invalid(&group(r#"{"behaviour": {"liar": {}}, "addresses": 0}"#));
    assert_eq!(path, "adversaries.0.addresses");
    assert!(problem.contains("at least one"), "{problem}");
    // And a good group parses.
    let s = scenario::parse(
        "s.json",
        &group(r#"{"behaviour": {"eclipse": {"victims": 2}}, "addresses": 40, "ipv4_24s": 4, "start": "10s"}"#),
        &[],
    )
    .unwrap();
    assert_eq!(s.adversaries.len(), 1);
    assert_eq!(s.adversaries[0].behaviour.name(), "eclipse");
}

#[test]
fn bad_set_override_names_the_argument() {
    // Not path=value at all.
    assert!("network.loss".parse::<Override>().is_err());
    // Into a number.
    let o: Override = "nodes.count.x=1".parse().unwrap();
    match scenario::parse("s.json", GOOD, &[o]) {
        Err(ScenarioError::Override { arg, problem, .. }) => {
            assert_eq!(arg, "nodes.count.x=1");
            assert!(problem.contains("a number"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
    // A valid path with a bad value: blamed on the override, with the path.
    let o: Override = "network.loss.bernoulli=7".parse().unwrap();
    let err = scenario::parse("s.json", GOOD, &[o]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("--set network.loss.bernoulli=7") && text.contains("network.loss.bernoulli"),
        "{text}"
    );
    // A misspelt override path is an unknown field, not a silent no-op.
    let o: Override = "network.los=0.1".parse().unwrap();
    let text = scenario::parse("s.json", GOOD, &[o])
        .unwrap_err()
        .to_string();
    assert!(text.contains("unknown field `los`"), "{text}");
    // And a good one applies.
    let o: Override = "duration=90s".parse().unwrap();
    assert_eq!(
        scenario::parse("s.json", GOOD, &[o]).unwrap().duration.0,
        90_000_000
    );
}

#[test]
fn missing_file_is_a_read_error() {
    let err = scenario::load(std::path::Path::new("/nonexistent/x.json"), &[]).unwrap_err();
    assert!(matches!(err, ScenarioError::Read { .. }));
    assert!(err.to_string().contains("/nonexistent/x.json"));
}

#[test]
fn shipped_scenarios_are_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
            checked += 1;
        }
    }
    assert!(checked >= 2, "baseline and tiny at least");
}

#[test]
fn schema_describes_the_format() {
    let schema: serde_json::Value = serde_json::from_str(&scenario::schema_json()).unwrap();
    let props = &schema["properties"];
    for key in [
        "name",
        "duration",
        "network",
        "nodes",
        "edges",
        "churn",
        "faults",
        "workload",
        "adversaries",
        "expect",
    ] {
        assert!(props.get(key).is_some(), "schema lacks {key}");
    }
    assert!(props.get("adversaries").is_some());
}

#[test]
fn protocol_constants_that_cannot_work_are_refused_naming_the_field() {
    for (config, path, says) in [
        (
            r#""ping_every": "0s""#,
            "nodes.config.ping_every",
            "above zero",
        ),
        (
            r#""challenge_every": "0s""#,
            "nodes.config.challenge_every",
            "above zero",
        ),
        (
            r#""reliability_decay": 0"#,
            "nodes.config.reliability_decay",
            "(0, 1]",
        ),
        (
            r#""group_limit": 9"#,
            "nodes.config.group_limit",
            "at most 8",
        ),
        (
            r#""drop_after": "5s""#,
            "nodes.config.drop_after",
            "deactivate_after",
        ),
        (
            r#""lookup_budget": 0"#,
            "nodes.config.lookup_budget",
            "at least 3",
        ),
    ] {
        let text = replace(r#""min_work": 4"#, &format!(r#""min_work": 4, {config}"#));
        let (got, line, _, problem) = invalid(&text);
        assert_eq!(got, path, "{config}: {problem}");
        assert!(problem.contains(says), "{config}: {problem}");
        assert!(line >= 5, "{config}: line {line}");
    }
}

#[test]
fn a_population_too_large_for_memory_or_the_address_plan_is_refused_stating_the_limit() {
    let huge = replace(
        r#""count": 10"#,
        r#""count": 1000000000, "groups": { "ipv4_24s": 4000000, "ipv4_16s": 25600 }"#,
    );
    let (path, _, _, problem) = invalid(&huge);
    assert_eq!(path, "nodes.count");
    assert!(problem.contains("at most 1000000"), "{problem}");
    let unpacked = replace(r#""count": 10"#, r#""count": 500000"#);
    let (path, _, _, problem) = invalid(&unpacked);
    assert_eq!(path, "nodes.groups.ipv4_16s");
    assert!(problem.contains("at most 25600"), "{problem}");
}

#[test]
fn a_negative_duration_says_negative() {
    let (path, _, _, problem) = invalid(&replace(r#""duration": "30s""#, r#""duration": "-30s""#));
    assert_eq!(path, "duration");
    assert!(problem.contains("negative"), "{problem}");
    assert!(!problem.contains("unknown unit"), "{problem}");
}

#[test]
fn a_misspelt_set_key_is_named() {
    let o: Override = "network.loss.bernouli=0.05".parse().unwrap();
    match scenario::parse("s.json", GOOD, &[o]) {
        Err(ScenarioError::Override { arg, problem, .. }) => {
            assert_eq!(arg, "network.loss.bernouli=0.05");
            assert!(problem.contains("unknown key `bernouli`"), "{problem}");
            assert!(problem.contains("`bernoulli`"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
}
