//! Turning `validator` and serde errors into the `errors` list of a 422.

use std::borrow::Cow;

use validator::{ValidationErrors, ValidationErrorsKind};

use crate::error::{AppError, FieldError};

impl From<ValidationErrors> for AppError {
    fn from(errors: ValidationErrors) -> Self {
        AppError::Validation(field_errors(&errors))
    }
}

/// Flattens nested validation errors into one list of dotted field paths
/// (`items[1].quantity`), sorted so responses are deterministic.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    sort_field_errors(&mut out);
    // A blank value is also too short: saying so twice adds nothing.
    let blank: Vec<String> = out.iter().filter(|e| e.code == "blank").map(|e| e.field.clone()).collect();
    out.retain(|e| !(e.code == "length" && blank.contains(&e.field)));
    out
}

/// Field errors in the order every 422 lists them: by field, then code.
pub fn sort_field_errors(errors: &mut [FieldError]) {
    errors.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
}

fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") }
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        // `__all__` holds struct-level checks; they name their field in the
        // error's `field` param.
        let path = join(prefix, field);
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let field_name = error
                        .params
                        .get("field")
                        .and_then(|v| v.as_str())
                        .map(|f| join(prefix, f))
                        .unwrap_or_else(|| path.clone());
                    out.push(FieldError::new(field_name, error.code.to_string(), message(error)));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

fn message(error: &validator::ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => {
            // A list is counted in items, a text in characters.
            let unit = match error.params.get("value") {
                Some(serde_json::Value::Array(_)) => "items",
                _ => "characters",
            };
            match (param("min"), param("max")) {
                (Some(min), Some(max)) if unit == "items" => format!("must have between {min} and {max} items"),
                (Some(min), None) if unit == "items" => format!("must have at least {min} items"),
                (None, Some(max)) if unit == "items" => format!("must have at most {max} items"),
                (Some(min), Some(max)) => format!("must be between {min} and {max} characters long"),
                (Some(min), None) => format!("must be at least {min} characters long"),
                (None, Some(max)) => format!("must be at most {max} characters long"),
                _ => "has an invalid length".into(),
            }
        }
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".into(),
        },
        "email" => "must be a valid email address".into(),
        "url" => "must be a valid URL".into(),
        "required" => "is required".into(),
        other => format!("is invalid ({other})"),
    }
}

/// A validation error with a fixed code and message, for custom checks.
pub fn error(code: &'static str, message: &'static str) -> validator::ValidationError {
    validator::ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// Rejects strings that are empty or only whitespace.
pub fn not_blank(value: &str) -> Result<(), validator::ValidationError> {
    if value.trim().is_empty() { Err(error("blank", "must not be blank")) } else { Ok(()) }
}

/// Explains a serde error about a field: (code, message). serde reports
/// unknown and missing fields in its message, so the field name is read
/// from there.
pub fn describe_serde_error(message: &str) -> (Option<String>, &'static str, String) {
    let quoted = || message.split('`').nth(1).map(str::to_owned);
    let clean = message.split(" at line ").next().unwrap_or(message).to_string();
    if message.starts_with("unknown field") {
        let expected =
            message.split(", expected ").nth(1).map(|e| e.split(" at line ").next().unwrap_or(e).to_string());
        let text = match expected {
            Some(e) => format!("is not a known field; expected {e}"),
            None => "is not a known field".to_string(),
        };
        (quoted(), "unknown_field", text)
    } else if message.starts_with("duplicate field") {
        (quoted(), "duplicate_field", "is given more than once".into())
    } else if message.starts_with("missing field") {
        (quoted(), "required", "is required".into())
    } else if message.starts_with("unknown variant") {
        (None, "invalid_value", clean)
    } else if message.starts_with("UUID parsing failed") {
        (None, "invalid_type", "must be a UUID like 0193a3b2-7c1e-7d2a-9f4e-2b8c1d5e6f70".into())
    } else if message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("invalid length")
    {
        (None, "invalid_type", clean)
    } else {
        (None, "invalid", clean)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_field_names_from_serde_messages() {
        let (field, code, _) =
            describe_serde_error("unknown field `nmae`, expected `name` or `email` at line 1 column 7");
        assert_eq!((field.as_deref(), code), (Some("nmae"), "unknown_field"));
        let (field, code, _) = describe_serde_error("missing field `email` at line 1 column 2");
        assert_eq!((field.as_deref(), code), (Some("email"), "required"));
        let (field, code, message) =
            describe_serde_error("invalid type: integer `5`, expected a string at line 1 column 9");
        assert_eq!(
            (field, code, message.as_str()),
            (None, "invalid_type", "invalid type: integer `5`, expected a string")
        );
    }
}
