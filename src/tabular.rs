//! Tables as files, for the list exports and the reports alike: the XLSX
//! media type and its OpenAPI body, the sheet's bold frozen header row, and
//! CSV fields quoted (RFC 4180) with would-be spreadsheet formulas defused
//! (OWASP CSV injection).

use rust_xlsxwriter::{Format, Worksheet, XlsxError};
use utoipa::ToSchema;

use crate::error::AppError;

/// The XLSX media type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An XLSX workbook.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct XlsxFile(pub Vec<u8>);

/// An XLSX writer's failure, as the internal error it is.
pub fn xlsx_error(error: XlsxError) -> AppError {
    AppError::internal(format!("xlsx: {error}"))
}

/// Writes the sheet's header row in bold and keeps it in view (frozen)
/// while the rows scroll.
pub fn xlsx_header<'a>(sheet: &mut Worksheet, titles: impl IntoIterator<Item = &'a str>) -> Result<(), AppError> {
    let bold = Format::new().set_bold();
    for (col, title) in titles.into_iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, title, &bold).map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    Ok(())
}

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
