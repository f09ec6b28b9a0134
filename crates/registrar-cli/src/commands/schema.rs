//! `registrar schema`: the JSON Schema of the manifest, generated from the Rust types.

use anyhow::Context;

use crate::cli::SchemaArgs;
use crate::commands::Outcome;

pub(crate) fn run(args: SchemaArgs) -> anyhow::Result<Outcome> {
    let schema = registrar_manifest::json_schema();
    let mut text = serde_json::to_string_pretty(&schema).context("cannot serialize the schema")?;
    text.push('\n');
    match args.output {
        Some(path) => std::fs::write(&path, text)
            .with_context(|| format!("cannot write `{}`", path.display()))?,
        None => print!("{text}"),
    }
    Ok(Outcome::Success)
}
