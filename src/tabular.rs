//! Tables as files, for the list exports and the reports alike: the XLSX
//! media type and its OpenAPI body, and CSV fields quoted (RFC 4180) with
//! would-be spreadsheet formulas defused (OWASP CSV injection).

use utoipa::ToSchema;

/// The XLSX media type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An XLSX workbook.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct XlsxFile(pub Vec<u8>);

/// A CSV field (RFC 4180 quoting), with would-be formulas defused.
pub fn csv_field(text: &str) -> String {
    // A leading =, +, - or @ would be a formula to a spreadsheet: quote it
    // with an apostrophe (OWASP CSV injection), except for numbers.
    let risky =
        text.starts_with(['=', '+', '@', '\t', '\r']) || (text.starts_with('-') && text.parse::<f64>().is_err());
    let text = if risky { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// A CSV line of fields, ended by CRLF.
pub fn csv_line(fields: impl Iterator<Item = String>) -> String {
    let mut line = fields.map(|f| csv_field(&f)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("Lee, Ann"), "\"Lee, Ann\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("-12.5"), "-12.5");
        assert_eq!(csv_line(["a".to_string(), "b,c".to_string()].into_iter()), "a,\"b,c\"\r\n");
    }
}
