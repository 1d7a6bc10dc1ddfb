//! Decoding what a client sends — a JSON body, one record of a bulk call,
//! a query string — into its type, naming every bad field in one answer.
//!
//! serde stops at the first field it cannot read, so a body with a wrong
//! type, an unknown enum value or an unknown field would be answered with
//! that one field, and a form would show one error at a time. Instead each
//! such failure is recorded and the offending value is taken out of the
//! document (an unknown field is removed, an unreadable value replaced by a
//! stand-in of a type that reads), and decoding is tried again; once the
//! document reads, its rule checks (`validator`) run too, and their errors
//! are added, except those about a value that was replaced. The answer is
//! one 422 listing every field, sorted by field.
//!
//! Bounded: at most [`MAX_FIELD_ERRORS`] errors are named and at most
//! [`MAX_ATTEMPTS`] decodings are tried, so a body of ten thousand unknown
//! fields costs a few dozen decodings, not ten thousand.
//!
//! JSON bodies are first read into a [`serde_json::Value`] by [`parse`],
//! which also finds what a `Value` would hide: a key given twice (a
//! struct refuses it, a map keeps the last) and NUL characters (which no
//! text column stores).

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_path_to_error::Segment;
use validator::Validate;

use super::validation::{describe_serde_error, field_errors, sort_field_errors};
use crate::error::{AppError, FieldError};

/// The most field errors one answer names.
pub const MAX_FIELD_ERRORS: usize = 50;

/// The most decodings tried for one document.
const MAX_ATTEMPTS: usize = 64;

/// A JSON text read into a value, with the fields that no type may take
/// as they are: keys given twice and strings holding NUL characters.
pub struct Parsed {
    pub value: Value,
    pub problems: Vec<FieldError>,
}

/// Reads a JSON text strictly (one value, nothing after it). A syntax error
/// is a 400; duplicate keys and NUL characters are field errors, kept with
/// the value (the first of duplicate keys is kept).
pub fn parse(body: &[u8]) -> Result<Parsed, AppError> {
    let problems = RefCell::new(Vec::new());
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = Node { path: String::new(), problems: &problems }
        .deserialize(&mut deserializer)
        .map_err(|err| AppError::BadRequest(format!("The request body is not valid JSON: {err}.")))?;
    deserializer.end().map_err(|err| AppError::BadRequest(format!("The request body is not valid JSON: {err}.")))?;
    Ok(Parsed { value, problems: problems.into_inner() })
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn field_or_body(path: &str) -> String {
    if path.is_empty() { "body".into() } else { path.to_string() }
}

fn nul_error(field: String) -> FieldError {
    FieldError::new(field, "invalid_character", "must not contain NUL characters")
}

/// One JSON value being read at `path`.
struct Node<'a> {
    path: String,
    problems: &'a RefCell<Vec<FieldError>>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map(Value::Number).unwrap_or(Value::Null))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        if v.contains('\0') {
            self.problems.borrow_mut().push(nul_error(field_or_body(&self.path)));
        }
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        if v.contains('\0') {
            self.problems.borrow_mut().push(nul_error(field_or_body(&self.path)));
        }
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) =
            seq.next_element_seed(Node { path: format!("{}[{}]", self.path, items.len()), problems: self.problems })?
        {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = child(&self.path, &key.replace('\0', "\\0"));
            if key.contains('\0') {
                self.problems.borrow_mut().push(nul_error(path.clone()));
            }
            let value = map.next_value_seed(Node { path: path.clone(), problems: self.problems })?;
            if object.contains_key(&key) {
                self.problems.borrow_mut().push(FieldError::new(path, "duplicate_field", "is given more than once"));
            } else {
                object.insert(key, value);
            }
        }
        Ok(Value::Object(object))
    }
}

/// A JSON document (a body or one bulk record) as `T`, validated, naming
/// every bad field; `problems` are field errors found while parsing it.
pub fn json<T: DeserializeOwned + Validate>(value: Value, problems: Vec<FieldError>) -> Result<T, AppError> {
    json_except::<T>(value, problems, None)
}

/// `json`, leaving the values under the top-level key `items` unchecked:
/// they are decoded one by one later (bulk records).
pub fn json_except<T: DeserializeOwned + Validate>(
    value: Value,
    mut problems: Vec<FieldError>,
    items: Option<&str>,
) -> Result<T, AppError> {
    // Every body and record is an object (serde would also read a struct
    // from a list of its fields in order).
    let Value::Object(map) = &value else {
        return Err(AppError::validation("body", "invalid_type", "must be a JSON object"));
    };
    for (key, item) in map.iter().filter(|(key, _)| Some(key.as_str()) != items) {
        dates_out_of_range(item, key, &mut problems);
    }
    decode(JsonDocument(value), problems, "body")
}

/// Every text written as a date or date-time whose year is outside the
/// supported range (`domain::time::YEARS`): PostgreSQL refuses some such
/// values and SQLite would store and compare them as text.
fn dates_out_of_range(value: &Value, path: &str, out: &mut Vec<FieldError>) {
    match value {
        Value::String(text) if crate::domain::time::is_out_of_range_date(text) => {
            out.push(FieldError::new(field_or_body(path), "range", crate::domain::time::OUT_OF_RANGE));
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                dates_out_of_range(item, &format!("{path}[{index}]"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                dates_out_of_range(item, &child(path, key), out);
            }
        }
        _ => {}
    }
}

/// A query string as `T`, validated, naming every bad parameter.
pub fn query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, AppError> {
    let mut problems = Vec::new();
    let mut pairs = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key.contains('\0') || value.contains('\0') {
            problems.push(nul_error(key.replace('\0', "\\0")));
            continue;
        }
        // A date out of range, except in a search text, which is free.
        if key != "q" && crate::domain::time::is_out_of_range_date(&value) {
            problems.push(FieldError::new(key.clone(), "range", crate::domain::time::OUT_OF_RANGE));
        }
        pairs.push((key.into_owned(), value.into_owned()));
    }
    decode(QueryDocument(pairs), problems, "query").map_err(|err| match err {
        AppError::Validation(mut errors) => {
            for error in &mut errors {
                if error.code == "unknown_field" {
                    error.message = "is not a known query parameter".into();
                }
            }
            AppError::Validation(errors)
        }
        other => other,
    })
}

/// What decoding can do with a document.
trait Document {
    /// Decodes the document, or says where (a path of map keys and list
    /// indexes) and why it failed.
    fn decode<T: DeserializeOwned>(&self) -> Result<T, (Vec<Segment>, String)>;
    /// Takes out the value at `path`; false when there is none.
    fn remove(&mut self, path: &[Segment]) -> bool;
    /// Puts a stand-in at `path`; false when there is no such stand-in
    /// (the list is exhausted) or no place for it.
    fn stand_in(&mut self, path: &[Segment], value: StandInValue) -> bool;
}

fn display(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Enum { variant } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(variant);
            }
            Segment::Unknown => out.push('?'),
        }
    }
    out
}

/// The first variant an "unknown variant `x`, expected one of `a`, `b`"
/// message names, or the value "expected `a`" names.
fn expected_variant(message: &str) -> Option<&str> {
    let rest = message.split("expected one of ").nth(1).or_else(|| message.split(", expected ").nth(1))?;
    let quoted = rest.split('`').nth(1)?;
    (!quoted.is_empty()).then_some(quoted)
}

/// Whether `field` is `prefix` or inside it.
fn within(field: &str, prefix: &str) -> bool {
    field == prefix || field.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// A field whose value was replaced by a stand-in so that decoding could
/// go on: how many of the list were tried, and the last named one.
struct StandIn {
    field: String,
    tried: usize,
    hint: Option<String>,
}

/// Which stand-in to put in place of a value.
#[derive(Clone, Copy)]
enum StandInValue<'a> {
    /// A value the type's error named as expected.
    Named(&'a str),
    /// The n-th of the document's list.
    Nth(usize),
}

fn decode<T: DeserializeOwned + Validate>(
    mut document: impl Document,
    mut errors: Vec<FieldError>,
    root: &str,
) -> Result<T, AppError> {
    let mut replaced: Vec<StandIn> = Vec::new();
    // Rule errors about a stand-in, or about a value already named as
    // unusable (a NUL character, a date out of range), say nothing new.
    let silenced: Vec<String> =
        errors.iter().filter(|e| e.code != "duplicate_field").map(|e| e.field.clone()).collect();
    let mut named: HashSet<String> = errors.iter().map(|e| e.field.clone()).collect();
    for _ in 0..MAX_ATTEMPTS {
        if errors.len() >= MAX_FIELD_ERRORS {
            break;
        }
        let (mut path, message) = match document.decode::<T>() {
            Ok(value) => {
                let rules = value.validate().err().map(|e| field_errors(&e)).unwrap_or_default();
                if errors.is_empty() {
                    return if rules.is_empty() { Ok(value) } else { Err(AppError::Validation(rules)) };
                }
                errors.extend(rules.into_iter().filter(|rule| {
                    !replaced.iter().any(|r| within(&rule.field, &r.field))
                        && !silenced.iter().any(|field| within(&rule.field, field))
                }));
                break;
            }
            Err(failure) => failure,
        };
        let (field_name, code, text) = describe_serde_error(&message);
        if matches!(path.last(), Some(Segment::Unknown)) {
            path.pop();
        }
        // serde names a missing field, and may name an unknown one, in its
        // message rather than in the path.
        if let Some(name) = &field_name
            && (code == "required" || code == "unknown_field")
            && !matches!(path.last(), Some(Segment::Map { key }) if key == name)
        {
            path.push(Segment::Map { key: name.clone() });
        }
        let field = display(&path);
        if field.is_empty() {
            // The document as a whole is of the wrong shape: nothing
            // field by field to add.
            errors.push(FieldError::new(root, code, text));
            break;
        }
        if code == "unknown_field" || code == "duplicate_field" {
            if named.insert(field.clone()) {
                errors.push(FieldError::new(field, code, text));
            }
            if !document.remove(&path) {
                break;
            }
            continue;
        }
        let index = match replaced.iter().position(|r| r.field == field) {
            Some(index) => index,
            None => {
                if named.insert(field.clone()) {
                    errors.push(FieldError::new(field.clone(), code, text));
                }
                replaced.push(StandIn { field, tried: 0, hint: None });
                replaced.len() - 1
            }
        };
        // A value the type named as expected (an enum's first variant) is
        // tried first, once; else the next stand-in of the list.
        let stand_in = &mut replaced[index];
        let hint = expected_variant(&message).filter(|h| stand_in.hint.as_deref() != Some(*h));
        let placed = match hint {
            Some(hint) => {
                stand_in.hint = Some(hint.to_string());
                document.stand_in(&path, StandInValue::Named(hint))
            }
            None => {
                stand_in.tried += 1;
                document.stand_in(&path, StandInValue::Nth(stand_in.tried - 1))
            }
        };
        if !placed {
            break;
        }
    }
    if errors.is_empty() {
        errors.push(FieldError::new(root, "invalid", "could not be read"));
    }
    sort_field_errors(&mut errors);
    errors.truncate(MAX_FIELD_ERRORS);
    Err(AppError::Validation(errors))
}

/// A JSON value.
struct JsonDocument(Value);

/// Stand-ins for a JSON value that does not read, in the order tried:
/// `null` for optional fields, then an empty string (an enum answers it
/// with its variants, tried next), then one of each other shape.
fn json_stand_in(value: StandInValue) -> Option<Value> {
    match value {
        StandInValue::Named(name) => Some(Value::String(name.to_string())),
        StandInValue::Nth(n) => [
            Value::Null,
            Value::String(String::new()),
            Value::Number(0.into()),
            Value::Bool(false),
            Value::String("00000000-0000-0000-0000-000000000000".into()),
            Value::String("2000-01-01T00:00:00Z".into()),
            Value::String("2000-01-01".into()),
            Value::String("0".into()),
            Value::Array(vec![]),
            Value::Object(Map::new()),
        ]
        .into_iter()
        .nth(n),
    }
}

impl JsonDocument {
    /// The object or list holding the value at `path`, and the last step.
    fn parent<'a>(&'a mut self, path: &'a [Segment]) -> Option<(&'a mut Value, &'a Segment)> {
        let (last, steps) = path.split_last()?;
        let mut at = &mut self.0;
        for step in steps {
            at = match (step, at) {
                (Segment::Map { key }, Value::Object(map)) => map.get_mut(key)?,
                (Segment::Seq { index }, Value::Array(items)) => items.get_mut(*index)?,
                _ => return None,
            };
        }
        Some((at, last))
    }
}

impl Document for JsonDocument {
    fn decode<T: DeserializeOwned>(&self) -> Result<T, (Vec<Segment>, String)> {
        serde_path_to_error::deserialize::<_, T>(&self.0).map_err(|err| {
            let path = err.path().iter().cloned().collect();
            (path, err.into_inner().to_string())
        })
    }

    fn remove(&mut self, path: &[Segment]) -> bool {
        match self.parent(path) {
            Some((Value::Object(map), Segment::Map { key })) => map.remove(key).is_some(),
            _ => false,
        }
    }

    fn stand_in(&mut self, path: &[Segment], value: StandInValue) -> bool {
        let Some(value) = json_stand_in(value) else { return false };
        match self.parent(path) {
            Some((Value::Object(map), Segment::Map { key })) => {
                map.insert(key.clone(), value);
                true
            }
            Some((Value::Array(items), Segment::Seq { index })) if *index < items.len() => {
                items[*index] = value;
                true
            }
            _ => false,
        }
    }
}

/// Query parameters, in order.
struct QueryDocument(Vec<(String, String)>);

fn query_stand_in(value: StandInValue) -> Option<String> {
    match value {
        StandInValue::Named(name) => Some(name.to_string()),
        StandInValue::Nth(n) => {
            ["", "0", "false", "00000000-0000-0000-0000-000000000000", "2000-01-01"].get(n).map(|s| s.to_string())
        }
    }
}

impl QueryDocument {
    fn key(path: &[Segment]) -> Option<&str> {
        match path {
            [Segment::Map { key }] => Some(key),
            _ => None,
        }
    }
}

impl Document for QueryDocument {
    fn decode<T: DeserializeOwned>(&self) -> Result<T, (Vec<Segment>, String)> {
        let text = form_urlencoded::Serializer::new(String::new()).extend_pairs(&self.0).finish();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(text.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(deserializer).map_err(|err| {
            let mut path: Vec<Segment> = err.path().iter().cloned().collect();
            let message = err.into_inner().to_string();
            // A parameter given twice is reported at the root, by name.
            if message.starts_with("duplicate field")
                && let Some(name) = message.split('`').nth(1)
            {
                path = vec![Segment::Map { key: name.to_string() }];
            }
            (path, message)
        })
    }

    fn remove(&mut self, path: &[Segment]) -> bool {
        let Some(key) = Self::key(path) else { return false };
        let before = self.0.len();
        let mut seen = 0;
        // A repeated parameter keeps its first value; an unknown one goes.
        let keep_first = self.0.iter().filter(|(k, _)| k == key).count() > 1;
        self.0.retain(|(k, _)| {
            if k != key {
                return true;
            }
            seen += 1;
            keep_first && seen == 1
        });
        self.0.len() < before
    }

    fn stand_in(&mut self, path: &[Segment], value: StandInValue) -> bool {
        let Some(key) = Self::key(path) else { return false };
        let Some(value) = query_stand_in(value) else { return false };
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key.to_string(), value)),
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Kind {
        Person,
        Company,
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        #[validate(range(min = 1))]
        quantity: i64,
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        kind: Kind,
        #[validate(length(min = 1))]
        name: String,
        #[validate(email)]
        email: Option<String>,
        owner_id: Option<uuid::Uuid>,
        #[validate(nested)]
        #[serde(default)]
        items: Vec<Line>,
    }

    fn fields(result: Result<Input, AppError>) -> Vec<(String, String)> {
        match result {
            Err(AppError::Validation(errors)) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn from(value: Value) -> Vec<(String, String)> {
        fields(json::<Input>(value, vec![]))
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn names_type_enum_unknown_and_rule_errors_together() {
        let errors = from(json!({"kind": "martian", "name": "", "owner_id": "x", "colour": "red", "email": "no"}));
        assert_eq!(
            errors,
            pairs(&[
                ("colour", "unknown_field"),
                ("email", "email"),
                ("kind", "invalid_value"),
                ("name", "length"),
                ("owner_id", "invalid_type"),
            ])
        );
    }

    #[test]
    fn missing_fields_and_nested_errors() {
        let errors = from(json!({"items": [{"quantity": 0}, {"quantity": "x"}, {"quantity": 2, "extra": 1}]}));
        assert_eq!(
            errors,
            pairs(&[
                ("items[0].quantity", "range"),
                ("items[1].quantity", "invalid_type"),
                ("items[2].extra", "unknown_field"),
                ("kind", "required"),
                ("name", "required"),
            ])
        );
    }

    #[test]
    fn a_good_document_decodes() {
        let input: Result<Input, _> = json(json!({"kind": "person", "name": "A"}), vec![]);
        assert!(input.is_ok());
        assert!(matches!(json::<Input>(json!([1]), vec![]), Err(AppError::Validation(e)) if e[0].field == "body"));
    }

    #[test]
    fn duplicate_keys_and_nul_characters_are_found_while_parsing() {
        let parsed = parse(br#"{"kind": "person", "name": "A", "name": "B", "email": "a\u0000@b.c"}"#)
            .unwrap_or_else(|_| Parsed { value: Value::Null, problems: vec![] });
        assert_eq!(parsed.value["name"], "A");
        let errors = fields(json::<Input>(parsed.value, parsed.problems));
        assert_eq!(errors, pairs(&[("email", "invalid_character"), ("name", "duplicate_field")]));
    }

    #[test]
    fn many_unknown_fields_are_bounded() {
        let mut object = Map::new();
        for i in 0..10_000 {
            object.insert(format!("f{i:05}"), Value::Null);
        }
        object.insert("kind".into(), json!("person"));
        object.insert("name".into(), json!("A"));
        let errors = from(Value::Object(object));
        assert!(errors.len() <= MAX_FIELD_ERRORS && errors.len() > 10, "{}", errors.len());
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Params {
        #[validate(range(min = 1, max = 500))]
        limit: Option<u64>,
        kind: Option<Kind>,
        owner_id: Option<uuid::Uuid>,
    }

    #[test]
    fn query_strings_name_every_parameter() {
        let errors = match query::<Params>("limit=0&kind=martian&owner_id=x&colour=red&limit=3") {
            Err(AppError::Validation(errors)) => errors.into_iter().map(|e| (e.field, e.code)).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            errors,
            pairs(&[
                ("colour", "unknown_field"),
                ("kind", "invalid_value"),
                ("limit", "duplicate_field"),
                ("limit", "range"),
                ("owner_id", "invalid_type"),
            ])
        );
        assert!(query::<Params>("limit=5&kind=company").is_ok());
    }
}
