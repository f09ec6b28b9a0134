//! The OData query options Graph supports on directory collections: `$filter` (a parser and
//! evaluator for the subset Graph accepts), `$select`, `$top`, `$skiptoken` paging, `$count`,
//! and `$expand` of the relationships a collection names, with Graph's documented limits for
//! directory objects (the known issues of Microsoft Graph, "query parameters"): an expanded
//! collection holds at most [`MAX_EXPANDED`] objects and has no nextLink, expand goes one level
//! deep, and a page with `$expand` holds at most [`MAX_EXPAND_PAGE`] objects whatever `$top`
//! says. An `in` list holds at most [`MAX_IN_VALUES`] values.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::api::{ApiRequest, ApiResponse, bad_request, graph_error, unsupported_query};

mod expand;
pub(crate) use expand::Expand;
use expand::{parse_expand, too_many_in_values};

/// Default page size of directory collections.
pub(crate) const DEFAULT_PAGE: usize = 100;
/// Largest `$top` Graph accepts.
pub(crate) const MAX_PAGE: usize = 999;
/// Objects in one expanded relationship of a directory object (no nextLink for the rest).
pub(crate) const MAX_EXPANDED: usize = 20;
/// Largest page of a directory collection read with `$expand`.
pub(crate) const MAX_EXPAND_PAGE: usize = 100;
/// Values of one `in` clause.
pub(crate) const MAX_IN_VALUES: usize = 15;

/// A parsed `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Compare {
        property: String,
        op: Op,
        value: Literal,
    },
    In {
        property: String,
        values: Vec<Literal>,
    },
    StartsWith {
        property: String,
        prefix: String,
    },
    EndsWith {
        property: String,
        suffix: String,
    },
    /// `property/any(v: <predicate on v>)`.
    Any {
        property: String,
        predicate: Box<Filter>,
    },
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Ge,
    Le,
}

/// A literal in a filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Text(String),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Text(String),
    Open,
    Close,
    Comma,
    Colon,
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < chars.len() {
        let ch = chars[index];
        match ch {
            ' ' | '\t' => index += 1,
            '(' => {
                tokens.push(Token::Open);
                index += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                index += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                index += 1;
            }
            ':' => {
                tokens.push(Token::Colon);
                index += 1;
            }
            '\'' => {
                let mut text = String::new();
                index += 1;
                loop {
                    match chars.get(index) {
                        None => return Err("unterminated string literal".to_owned()),
                        Some('\'') if chars.get(index + 1) == Some(&'\'') => {
                            text.push('\'');
                            index += 2;
                        }
                        Some('\'') => {
                            index += 1;
                            break;
                        }
                        Some(other) => {
                            text.push(*other);
                            index += 1;
                        }
                    }
                }
                tokens.push(Token::Text(text));
            }
            _ if ch.is_alphanumeric() || matches!(ch, '_' | '/' | '.' | '-' | '@' | '$') => {
                let start = index;
                while index < chars.len()
                    && (chars[index].is_alphanumeric()
                        || matches!(chars[index], '_' | '/' | '.' | '-' | '@' | '$'))
                {
                    index += 1;
                }
                tokens.push(Token::Ident(chars[start..index].iter().collect()));
            }
            other => return Err(format!("unexpected character '{other}'")),
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn expect(&mut self, expected: &Token) -> Result<(), String> {
        match self.next() {
            Some(token) if &token == expected => Ok(()),
            other => Err(format!("expected {expected:?}, found {other:?}")),
        }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Ident(ident)) if ident.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.position += 1;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.position += 1;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.keyword("not") {
            self.position += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.position += 1;
            let inner = self.or()?;
            self.expect(&Token::Close)?;
            return Ok(inner);
        }
        let Some(Token::Ident(ident)) = self.next() else {
            return Err("expected a property or function".to_owned());
        };
        let lower = ident.to_ascii_lowercase();
        if (lower == "startswith" || lower == "endswith") && self.peek() == Some(&Token::Open) {
            self.position += 1;
            let Some(Token::Ident(property)) = self.next() else {
                return Err("expected a property".to_owned());
            };
            self.expect(&Token::Comma)?;
            let Some(Token::Text(text)) = self.next() else {
                return Err("expected a string".to_owned());
            };
            self.expect(&Token::Close)?;
            return Ok(if lower == "startswith" {
                Filter::StartsWith {
                    property,
                    prefix: text,
                }
            } else {
                Filter::EndsWith {
                    property,
                    suffix: text,
                }
            });
        }
        if let Some(property) = ident.strip_suffix("/any") {
            self.expect(&Token::Open)?;
            let Some(Token::Ident(variable)) = self.next() else {
                return Err("expected a lambda variable".to_owned());
            };
            self.expect(&Token::Colon)?;
            let predicate = self.or()?;
            self.expect(&Token::Close)?;
            let predicate = rename_variable(predicate, &variable);
            return Ok(Filter::Any {
                property: property.to_owned(),
                predicate: Box::new(predicate),
            });
        }
        let Some(Token::Ident(op)) = self.next() else {
            return Err("expected an operator".to_owned());
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "ge" => Op::Ge,
            "le" => Op::Le,
            "in" => {
                self.expect(&Token::Open)?;
                let mut values = vec![self.literal()?];
                while self.peek() == Some(&Token::Comma) {
                    self.position += 1;
                    values.push(self.literal()?);
                }
                self.expect(&Token::Close)?;
                return Ok(Filter::In {
                    property: ident,
                    values,
                });
            }
            other => return Err(format!("unsupported operator '{other}'")),
        };
        let value = self.literal()?;
        Ok(Filter::Compare {
            property: ident,
            op,
            value,
        })
    }

    fn literal(&mut self) -> Result<Literal, String> {
        match self.next() {
            Some(Token::Text(text)) => Ok(Literal::Text(text)),
            Some(Token::Ident(word)) if word.eq_ignore_ascii_case("true") => {
                Ok(Literal::Bool(true))
            }
            Some(Token::Ident(word)) if word.eq_ignore_ascii_case("false") => {
                Ok(Literal::Bool(false))
            }
            Some(Token::Ident(word)) if word.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            Some(Token::Ident(word)) if uuid::Uuid::parse_str(&word).is_ok() => {
                Ok(Literal::Text(word))
            }
            other => Err(format!("expected a literal, found {other:?}")),
        }
    }
}

/// Inside `any(v: ...)`, the variable refers to the element: it is stored as the property `$it`.
fn rename_variable(filter: Filter, variable: &str) -> Filter {
    let rename = |property: String| {
        if property == variable {
            "$it".to_owned()
        } else {
            property
        }
    };
    match filter {
        Filter::And(left, right) => Filter::And(
            Box::new(rename_variable(*left, variable)),
            Box::new(rename_variable(*right, variable)),
        ),
        Filter::Or(left, right) => Filter::Or(
            Box::new(rename_variable(*left, variable)),
            Box::new(rename_variable(*right, variable)),
        ),
        Filter::Not(inner) => Filter::Not(Box::new(rename_variable(*inner, variable))),
        Filter::Compare {
            property,
            op,
            value,
        } => Filter::Compare {
            property: rename(property),
            op,
            value,
        },
        Filter::In { property, values } => Filter::In {
            property: rename(property),
            values,
        },
        Filter::StartsWith { property, prefix } => Filter::StartsWith {
            property: rename(property),
            prefix,
        },
        Filter::EndsWith { property, suffix } => Filter::EndsWith {
            property: rename(property),
            suffix,
        },
        other @ Filter::Any { .. } => other,
    }
}

/// Parses a `$filter` value.
pub(crate) fn parse_filter(input: &str) -> Result<Filter, String> {
    let tokens = tokenize(input)?;
    let mut parser = Parser {
        tokens,
        position: 0,
    };
    let filter = parser.or()?;
    if parser.position != parser.tokens.len() {
        return Err("unexpected text after the expression".to_owned());
    }
    Ok(filter)
}

impl Filter {
    /// Whether the filter needs the advanced-query parameters (`ne`, `not`, `endswith`).
    fn is_advanced(&self) -> bool {
        match self {
            Self::And(left, right) | Self::Or(left, right) => {
                left.is_advanced() || right.is_advanced()
            }
            Self::Not(_) | Self::EndsWith { .. } => true,
            Self::Compare { op, .. } => *op == Op::Ne,
            Self::Any { predicate, .. } => predicate.is_advanced(),
            Self::In { .. } | Self::StartsWith { .. } => false,
        }
    }

    /// The properties the filter names (for the allow-list check).
    fn properties(&self, out: &mut Vec<String>) {
        match self {
            Self::And(left, right) | Self::Or(left, right) => {
                left.properties(out);
                right.properties(out);
            }
            Self::Not(inner) => inner.properties(out),
            Self::Compare { property, .. }
            | Self::In { property, .. }
            | Self::StartsWith { property, .. }
            | Self::EndsWith { property, .. } => {
                if property != "$it" {
                    out.push(property.clone());
                }
            }
            Self::Any { property, .. } => out.push(property.clone()),
        }
    }

    /// Evaluates the filter on one object.
    pub(crate) fn matches(&self, object: &Value) -> bool {
        match self {
            Self::And(left, right) => left.matches(object) && right.matches(object),
            Self::Or(left, right) => left.matches(object) || right.matches(object),
            Self::Not(inner) => !inner.matches(object),
            Self::Compare {
                property,
                op,
                value,
            } => compare(lookup(object, property), *op, value),
            Self::In { property, values } => {
                let field = lookup(object, property);
                values.iter().any(|value| compare(field, Op::Eq, value))
            }
            Self::StartsWith { property, prefix } => lookup(object, property)
                .and_then(Value::as_str)
                .is_some_and(|text| text.to_lowercase().starts_with(&prefix.to_lowercase())),
            Self::EndsWith { property, suffix } => lookup(object, property)
                .and_then(Value::as_str)
                .is_some_and(|text| text.to_lowercase().ends_with(&suffix.to_lowercase())),
            Self::Any {
                property,
                predicate,
            } => lookup(object, property)
                .and_then(Value::as_array)
                .is_some_and(|items| {
                    items.iter().any(|item| {
                        let mut scope = Map::new();
                        scope.insert("$it".to_owned(), item.clone());
                        predicate.matches(&Value::Object(scope))
                    })
                }),
        }
    }
}

fn lookup<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/')
        .try_fold(object, |current, key| current.get(key))
}

fn compare(field: Option<&Value>, op: Op, literal: &Literal) -> bool {
    let field = field.unwrap_or(&Value::Null);
    let ordering = match (field, literal) {
        (Value::String(text), Literal::Text(wanted)) => {
            Some(text.to_lowercase().cmp(&wanted.to_lowercase()))
        }
        (Value::Bool(flag), Literal::Bool(wanted)) => Some(flag.cmp(wanted)),
        (Value::Null, Literal::Null) => Some(std::cmp::Ordering::Equal),
        _ => None,
    };
    match op {
        Op::Eq => ordering == Some(std::cmp::Ordering::Equal),
        Op::Ne => ordering != Some(std::cmp::Ordering::Equal),
        Op::Ge => ordering.is_some_and(|ordering| ordering != std::cmp::Ordering::Less),
        Op::Le => ordering.is_some_and(|ordering| ordering != std::cmp::Ordering::Greater),
    }
}

/// What a collection allows and how it is named in `@odata.context`.
pub(crate) struct Collection<'a> {
    /// `applications`, `servicePrincipals`, `users`, …
    pub(crate) context_name: &'a str,
    /// `microsoft.graph.application` (for error messages).
    pub(crate) type_name: &'a str,
    /// Properties `$filter` may name.
    pub(crate) filterable: &'a [&'a str],
    /// The path after `/v1.0/`, for `@odata.nextLink`.
    pub(crate) path: &'a str,
}

/// The query options of one list request after validation.
pub(crate) struct ListQuery {
    filter: Option<Filter>,
    pub(crate) select: Option<Vec<String>>,
    top: usize,
    after: Option<String>,
    count: bool,
    /// `$expand`, when the collection allows the relationship.
    pub(crate) expand: Option<Expand>,
}

/// Whether the request carries `ConsistencyLevel: eventual`.
pub(crate) fn eventual(request: &ApiRequest) -> bool {
    request
        .header("consistencylevel")
        .is_some_and(|value| value.eq_ignore_ascii_case("eventual"))
}

/// Parses and validates `$filter`, `$select`, `$top`, `$skiptoken`, `$count`, and rejects the
/// options the emulator does not implement (`$expand` among them: see [`list_query_expanding`]).
pub(crate) fn list_query(
    request: &ApiRequest,
    collection: &Collection<'_>,
) -> Result<ListQuery, ApiResponse> {
    list_query_expanding(request, collection, &[])
}

/// [`list_query`] for a collection whose `expandable` relationships `$expand` may name.
pub(crate) fn list_query_expanding(
    request: &ApiRequest,
    collection: &Collection<'_>,
    expandable: &[&str],
) -> Result<ListQuery, ApiResponse> {
    let advanced = eventual(request)
        && request
            .query("$count")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    for (key, _) in &request.query {
        let lower = key.to_ascii_lowercase();
        match lower.as_str() {
            "$filter" | "$select" | "$top" | "$skiptoken" | "$count" | "filter" | "select"
            | "top" | "count" => {}
            "$expand" | "expand" if !expandable.is_empty() => {}
            "$search" | "search" => {
                if !eventual(request) {
                    return Err(unsupported_query(
                        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
                    ));
                }
                return Err(unsupported_query(
                    "$search is not supported by the local emulator.",
                ));
            }
            other if other.starts_with('$') => {
                return Err(unsupported_query(&format!(
                    "Query option '{key}' is not supported."
                )));
            }
            _ => {}
        }
    }
    let filter = match request.query("$filter").or_else(|| request.query("filter")) {
        None => None,
        Some(text) => {
            let filter = parse_filter(text)
                .map_err(|_| bad_request(&format!("Invalid filter clause: {text}")))?;
            let mut properties = Vec::new();
            filter.properties(&mut properties);
            for property in properties {
                if !collection
                    .filterable
                    .iter()
                    .any(|allowed| allowed.eq_ignore_ascii_case(&property))
                {
                    return Err(unsupported_query(&format!(
                        "Unsupported or invalid query filter clause specified for property '{property}' of resource '{}'.",
                        collection.type_name.trim_start_matches("microsoft.graph.")
                    )));
                }
            }
            if filter.is_advanced() && !advanced {
                return Err(unsupported_query("Unsupported Query."));
            }
            if let Some(count) = too_many_in_values(&filter) {
                return Err(bad_request(&format!(
                    "Too many child clauses specified in search filter expression containing 'OR' operators: {count}. Max allowed: {MAX_IN_VALUES}."
                )));
            }
            Some(normalize_property_case(filter, collection.filterable))
        }
    };
    let select = request
        .query("$select")
        .or_else(|| request.query("select"))
        .map(|text| {
            text.split(',')
                .map(|field| field.trim().to_owned())
                .filter(|field| !field.is_empty())
                .collect()
        });
    let expand = match request.query("$expand").or_else(|| request.query("expand")) {
        Some(text) if !expandable.is_empty() => {
            if advanced {
                return Err(unsupported_query(
                    "$expand is not supported with advanced queries.",
                ));
            }
            Some(parse_expand(text, collection.type_name, expandable)?)
        }
        _ => None,
    };
    let top = match request.query("$top").or_else(|| request.query("top")) {
        None => DEFAULT_PAGE,
        Some(text) => match text.parse::<usize>() {
            Ok(value) if (1..=MAX_PAGE).contains(&value) => value,
            _ => {
                return Err(unsupported_query(&format!(
                    "Invalid page size specified: '{text}'. Must be between 1 and {MAX_PAGE} inclusive."
                )));
            }
        },
    };
    let after = match request.query("$skiptoken") {
        None => None,
        Some(token) => Some(decode_skiptoken(token).ok_or_else(|| {
            graph_error(axum::http::StatusCode::BAD_REQUEST, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.")
        })?),
    };
    // Graph pages a directory collection read with `$expand` at 100, whatever `$top` asks.
    let top = if expand.is_some() {
        top.min(MAX_EXPAND_PAGE)
    } else {
        top
    };
    Ok(ListQuery {
        filter,
        select,
        top,
        after,
        count: advanced,
        expand,
    })
}

/// Graph matches property names case-insensitively; the stored objects use camelCase.
fn normalize_property_case(filter: Filter, allowed: &[&str]) -> Filter {
    let fix = |property: String| {
        allowed
            .iter()
            .find(|candidate| candidate.eq_ignore_ascii_case(&property))
            .map_or(property, |candidate| (*candidate).to_owned())
    };
    match filter {
        Filter::And(left, right) => Filter::And(
            Box::new(normalize_property_case(*left, allowed)),
            Box::new(normalize_property_case(*right, allowed)),
        ),
        Filter::Or(left, right) => Filter::Or(
            Box::new(normalize_property_case(*left, allowed)),
            Box::new(normalize_property_case(*right, allowed)),
        ),
        Filter::Not(inner) => Filter::Not(Box::new(normalize_property_case(*inner, allowed))),
        Filter::Compare {
            property,
            op,
            value,
        } => Filter::Compare {
            property: fix(property),
            op,
            value,
        },
        Filter::In { property, values } => Filter::In {
            property: fix(property),
            values,
        },
        Filter::StartsWith { property, prefix } => Filter::StartsWith {
            property: fix(property),
            prefix,
        },
        Filter::EndsWith { property, suffix } => Filter::EndsWith {
            property: fix(property),
            suffix,
        },
        Filter::Any {
            property,
            predicate,
        } => Filter::Any {
            property: fix(property),
            predicate,
        },
    }
}

fn encode_skiptoken(last_id: &str) -> String {
    format!(
        "RFNwdAIA{}",
        URL_SAFE_NO_PAD.encode(format!("v1:{last_id}"))
    )
}

fn decode_skiptoken(token: &str) -> Option<String> {
    let raw = token.strip_prefix("RFNwdAIA")?;
    let decoded = URL_SAFE_NO_PAD.decode(raw).ok()?;
    String::from_utf8(decoded)
        .ok()?
        .strip_prefix("v1:")
        .map(str::to_owned)
}

/// Checks `$select` names against the properties of the collection's objects.
pub(crate) fn check_select(
    select: &[String],
    sample: &Value,
    type_name: &str,
) -> Result<(), ApiResponse> {
    for field in select {
        if field == "*" {
            continue;
        }
        if sample.get(field.as_str()).is_none() {
            return Err(bad_request(&format!(
                "Could not find a property named '{field}' on type '{type_name}'."
            )));
        }
    }
    Ok(())
}

/// Keeps only the selected properties (and `@odata.type` / `@odata.id` annotations).
pub(crate) fn apply_select(object: Value, select: Option<&[String]>) -> Value {
    let Some(select) = select else {
        return object;
    };
    if select.iter().any(|field| field == "*") {
        return object;
    }
    let Value::Object(fields) = object else {
        return object;
    };
    let mut out = Map::new();
    for (key, value) in fields {
        if key.starts_with("@odata") || select.iter().any(|field| field.eq_ignore_ascii_case(&key))
        {
            out.insert(key, value);
        }
    }
    Value::Object(out)
}

/// The `@odata.context` of a collection, with the `(a,b)` form when `$select` is used.
pub(crate) fn context(base: &str, name: &str, select: Option<&[String]>, entity: bool) -> String {
    let selected = select
        .map(|fields| format!("({})", fields.join(",")))
        .unwrap_or_default();
    let suffix = if entity { "/$entity" } else { "" };
    format!("{base}/v1.0/$metadata#{name}{selected}{suffix}")
}

/// Percent-encodes a query name or value the way Graph writes its nextLinks: OData's `$` and the
/// punctuation of `$filter` expressions stay readable (`$top=3&$skiptoken=…`,
/// `startswith(displayName,%27a%27)`), everything else is escaped.
fn encode_query_part(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, ESCAPED_IN_QUERY_PARTS).to_string()
}

/// Everything but letters, digits and `-._~$(),:/@!*`.
const ESCAPED_IN_QUERY_PARTS: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$')
    .remove(b'(')
    .remove(b')')
    .remove(b',')
    .remove(b':')
    .remove(b'/')
    .remove(b'@')
    .remove(b'!')
    .remove(b'*');

/// The `@odata.nextLink` of a page: the request's own query options plus a new `$skiptoken`.
fn next_link(request: &ApiRequest, path: &str, last_id: &str) -> String {
    let mut link = format!("{}/v1.0/{path}?", request.base);
    for (key, value) in &request.query {
        if !key.eq_ignore_ascii_case("$skiptoken") {
            let _ = std::fmt::Write::write_fmt(
                &mut link,
                format_args!("{}={}&", encode_query_part(key), encode_query_part(value)),
            );
        }
    }
    link.push_str("$skiptoken=");
    link.push_str(&encode_query_part(&encode_skiptoken(last_id)));
    link
}

/// Filters, orders by id, pages and shapes a list response.
pub(crate) fn list_response(
    request: &ApiRequest,
    collection: &Collection<'_>,
    query: &ListQuery,
    objects: Vec<&Value>,
    present: impl Fn(&Value) -> Value,
) -> Result<ApiResponse, ApiResponse> {
    list_response_expanding(request, collection, query, objects, present, |_, _| {
        Vec::new()
    })
}

/// [`list_response`] that adds the relationship `query.expand` names to each object of the
/// page: `related(object, relationship)` gives its objects, of which the first
/// [`MAX_EXPANDED`] are kept (with the nested `$select`), and no nextLink for the rest.
pub(crate) fn list_response_expanding(
    request: &ApiRequest,
    collection: &Collection<'_>,
    query: &ListQuery,
    objects: Vec<&Value>,
    present: impl Fn(&Value) -> Value,
    related: impl Fn(&Value, &str) -> Vec<Value>,
) -> Result<ApiResponse, ApiResponse> {
    if let (Some(select), Some(sample)) = (&query.select, objects.first()) {
        check_select(select, &present(sample), collection.type_name)?;
    }
    let mut matching: Vec<&Value> = objects
        .into_iter()
        .filter(|object| {
            query
                .filter
                .as_ref()
                .is_none_or(|filter| filter.matches(object))
        })
        .collect();
    matching.sort_by(|left, right| left["id"].as_str().cmp(&right["id"].as_str()));
    let total = matching.len();
    let start = match &query.after {
        None => 0,
        Some(last) => matching
            .iter()
            .position(|object| object["id"].as_str() > Some(last.as_str()))
            .unwrap_or(total),
    };
    let end = (start + query.top).min(total);
    let page: Vec<Value> = matching[start..end]
        .iter()
        .map(|object| {
            let mut shown = apply_select(present(object), query.select.as_deref());
            if let (Some(expand), Value::Object(fields)) = (&query.expand, &mut shown) {
                let expanded: Vec<Value> = related(object, &expand.property)
                    .into_iter()
                    .take(MAX_EXPANDED)
                    .map(|item| apply_select(item, expand.select.as_deref()))
                    .collect();
                fields.insert(expand.property.clone(), Value::Array(expanded));
            }
            shown
        })
        .collect();
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_owned(),
        Value::from(context(
            &request.base,
            collection.context_name,
            query.select.as_deref(),
            false,
        )),
    );
    if query.count && query.after.is_none() {
        body.insert("@odata.count".to_owned(), Value::from(total));
    }
    if end < total {
        let last_id = matching[end - 1]["id"].as_str().unwrap_or_default();
        body.insert(
            "@odata.nextLink".to_owned(),
            Value::from(next_link(request, collection.path, last_id)),
        );
    }
    body.insert("value".to_owned(), Value::Array(page));
    Ok(ApiResponse::ok(Value::Object(body)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[track_caller]
    fn check(filter: &str, object: &Value, expected: bool) {
        let parsed = parse_filter(filter).unwrap();
        assert_eq!(parsed.matches(object), expected, "{filter}");
    }

    #[test]
    fn filter_supports_graph_forms() {
        let app = json!({"id": "1", "appId": "abc", "displayName": "My App", "tags": ["x", "y"], "identifierUris": ["api://a"]});
        check("appId eq 'abc'", &app, true);
        check("displayName eq 'my app'", &app, true);
        check("startswith(displayName,'my')", &app, true);
        check("tags/any(t:t eq 'y')", &app, true);
        check("tags/any(t: t eq 'z')", &app, false);
        check(
            "identifierUris/any(x:x eq 'api://a') and appId eq 'abc'",
            &app,
            true,
        );
        check("appId eq 'abc' and displayName eq 'nope'", &app, false);
        check("displayName in ('a', 'My App')", &app, true);
        check("not(appId eq 'abc')", &app, false);
        check(
            "displayName eq 'it''s'",
            &json!({"displayName": "it's"}),
            true,
        );
    }

    #[test]
    fn filter_rejects_garbage() {
        assert!(parse_filter("appId eq").is_err());
        assert!(parse_filter("appId foo 'x'").is_err());
        assert!(parse_filter("(appId eq 'x'").is_err());
    }

    #[test]
    fn next_link_keeps_odata_dollars_readable() {
        assert_eq!(
            encode_query_part("startswith(displayName,'a b')"),
            "startswith(displayName,%27a%20b%27)"
        );
        assert_eq!(encode_query_part("$top"), "$top");
        assert_eq!(encode_query_part("a&b=c+d"), "a%26b%3Dc%2Bd");
    }

    #[test]
    fn skiptoken_round_trips() {
        let token = encode_skiptoken("0a-1");
        assert_eq!(decode_skiptoken(&token).as_deref(), Some("0a-1"));
        assert_eq!(decode_skiptoken("garbage"), None);
    }
}
