//! `--set path=value` overrides, applied to the parsed JSON before it is typed.
//!
//! The value is read as JSON when it parses as JSON (`0.05`, `true`, `{"bernoulli":0.1}`), and
//! as a plain string otherwise (`90s`), so durations need no quoting on a shell.

use serde_json::Value;

use super::locate::{Segment, parse_path};

/// One `--set` argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The argument as given, for error messages.
    pub arg: String,
    /// Dotted path, e.g. `network.loss.bernoulli`.
    pub path: String,
    /// The new value.
    pub value: Value,
}

impl std::str::FromStr for Override {
    type Err = String;
    fn from_str(arg: &str) -> Result<Self, String> {
        let (path, raw) = arg.split_once('=').ok_or_else(|| {
            format!("--set {arg:?} must look like path=value, e.g. network.loss.bernoulli=0.05")
        })?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(format!(
                "--set {arg:?}: the path {path:?} has an empty part"
            ));
        }
        let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()));
        Ok(Override {
            arg: arg.to_string(),
            path: path.to_string(),
            value,
        })
    }
}

/// A key an override adds to an object of the document that has other keys but not this one —
/// for a typo such as `network.loss.bernouli`, the key to name when the result does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedKey {
    /// Dotted path of the object.
    pub parent: String,
    /// The key added.
    pub key: String,
    /// The keys the object had already.
    pub existing: Vec<String>,
}

impl Override {
    /// The key this override would add beside existing ones in `doc`, if it adds one.
    pub fn added_key(&self, doc: &Value) -> Option<AddedKey> {
        let segments = parse_path(&self.path);
        let (last, parents) = segments.split_last()?;
        let Segment::Key(key) = last else {
            return None;
        };
        let mut node = doc;
        for segment in parents {
            node = match (node, segment) {
                (Value::Object(map), Segment::Key(k)) => map.get(k)?,
                (Value::Array(items), Segment::Index(i)) => items.get(*i)?,
                _ => return None,
            };
        }
        let map = node.as_object()?;
        if map.is_empty() || map.contains_key(key) {
            return None;
        }
        let parent = self.path[..self.path.len() - key.len()]
            .trim_end_matches('.')
            .to_string();
        Some(AddedKey {
            parent,
            key: key.clone(),
            existing: map.keys().cloned().collect(),
        })
    }

    /// Writes the value into `doc`, creating missing objects along the path.
    pub fn apply(&self, doc: &mut Value) -> Result<(), String> {
        let segments = parse_path(&self.path);
        let Some((last, parents)) = segments.split_last() else {
            return Err("empty path".to_string());
        };
        let mut node = doc;
        for segment in parents {
            node = child(node, segment, true)?;
        }
        match (node, last) {
            (Value::Object(map), Segment::Key(k)) => {
                map.insert(k.clone(), self.value.clone());
                Ok(())
            }
            (Value::Object(map), Segment::Index(i)) => {
                map.insert(i.to_string(), self.value.clone());
                Ok(())
            }
            (Value::Array(items), Segment::Index(i)) => match items.get_mut(*i) {
                Some(slot) => {
                    *slot = self.value.clone();
                    Ok(())
                }
                None => Err(format!(
                    "index {i} is past the end of a list of {}",
                    items.len()
                )),
            },
            (other, segment) => Err(format!("cannot set {segment:?} inside {}", kind(other))),
        }
    }
}

fn child<'v>(
    node: &'v mut Value,
    segment: &Segment,
    create: bool,
) -> Result<&'v mut Value, String> {
    let description = kind(node);
    match (node, segment) {
        (Value::Object(map), Segment::Key(k)) => {
            if !map.contains_key(k) && create {
                map.insert(k.clone(), Value::Object(Default::default()));
            }
            map.get_mut(k).ok_or_else(|| format!("no field {k:?}"))
        }
        (Value::Object(map), Segment::Index(i)) => {
            let k = i.to_string();
            if !map.contains_key(&k) && create {
                map.insert(k.clone(), Value::Object(Default::default()));
            }
            map.get_mut(&k).ok_or_else(|| format!("no field {k:?}"))
        }
        (Value::Array(items), Segment::Index(i)) => {
            let len = items.len();
            items
                .get_mut(*i)
                .ok_or_else(|| format!("index {i} is past the end of a list of {len}"))
        }
        (_, segment) => Err(format!(
            "cannot go into {segment:?}: the value there is {description}"
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nested_values_and_creates_objects() {
        let mut doc: Value =
            serde_json::from_str(r#"{"network": {}, "faults": [{"heal": {"at": "1s"}}]}"#).unwrap();
        "network.loss.bernoulli=0.05"
            .parse::<Override>()
            .unwrap()
            .apply(&mut doc)
            .unwrap();
        "faults.0.heal.at=2s"
            .parse::<Override>()
            .unwrap()
            .apply(&mut doc)
            .unwrap();
        assert_eq!(doc["network"]["loss"]["bernoulli"], 0.05);
        assert_eq!(doc["faults"][0]["heal"]["at"], "2s");
        let err = "faults.3.heal.at=2s"
            .parse::<Override>()
            .unwrap()
            .apply(&mut doc)
            .unwrap_err();
        assert!(err.contains("past the end"), "{err}");
        assert!("no-equals-sign".parse::<Override>().is_err());
    }
}
