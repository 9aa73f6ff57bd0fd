//! Validation errors, collected per field so a caller learns everything wrong at once.

use serde::Serialize;

/// Why a single value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    /// A stable machine-readable code, such as `required` or `too_long`.
    pub code: &'static str,
    /// A human-readable explanation.
    pub message: String,
}

impl ValueError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// One rejected field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "field": "date_of_birth", "code": "in_future", "message": "date of birth cannot be in the future"
})))]
pub struct FieldError {
    /// The JSON path of the field, such as `address.postal_code`.
    pub field: String,
    /// A stable machine-readable code.
    pub code: String,
    /// A human-readable explanation.
    pub message: String,
}

/// Every field error found in one input.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("{} field(s) are invalid", .0.len())]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn single(field: &str, error: ValueError) -> Self {
        let mut errors = Self::default();
        errors.push(field, error);
        errors
    }

    pub fn push(&mut self, field: &str, error: ValueError) {
        self.0.push(FieldError {
            field: field.to_owned(),
            code: error.code.to_owned(),
            message: error.message,
        });
    }

    /// Records the error of `result`, if any, under `field` and returns its value.
    pub fn check<T>(&mut self, field: &str, result: Result<T, ValueError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(field, error);
                None
            }
        }
    }

    /// Like [`FieldErrors::check`] for an optional input: `None` stays `None`.
    pub fn check_opt<I, T>(
        &mut self,
        field: &str,
        input: Option<I>,
        parse: impl FnOnce(I) -> Result<T, ValueError>,
    ) -> Option<T> {
        input.and_then(|raw| self.check(field, parse(raw)))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records "appears twice" at `field[n]` for the second and later
    /// copies of a value in `values`.
    pub fn no_duplicates<T: Ord + Copy>(&mut self, field: &str, values: &[T]) {
        let mut seen = std::collections::BTreeSet::new();
        for (n, value) in values.iter().enumerate() {
            if !seen.insert(*value) {
                self.push(
                    &format!("{field}[{n}]"),
                    ValueError::new("duplicate", "appears twice"),
                );
            }
        }
    }

    /// `Ok(value)` when nothing was recorded; the caller builds the value lazily
    /// because it can only exist when every part parsed.
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, FieldErrors> {
        if self.is_empty() {
            build().ok_or(self)
        } else {
            Err(self)
        }
    }
}
