//! Interpolation, directories of files, every error in one run, and hostile or broken input.

use super::*;

// ---------------------------------------------------------------------------------------------
// interpolation

#[test]
fn interpolation_in_string_values() {
    let loaded = loaded(
        "version: 1\nnamespace: t\ntenant: ${var.TENANT}\napplications:\n  a:\n    displayName: ${var.NAME:-Default name}\n    notes: costs $$5 and $${NOT_A_VAR}\n    allowPublicClientFlows: ${var.PUBLIC}\n",
    );
    assert_eq!(
        loaded.desired.tenant.as_deref(),
        Some("contoso.onmicrosoft.com")
    );
    let app = &loaded.desired.applications[0];
    assert_eq!(app.plain.display_name, "Default name");
    assert_eq!(
        app.plain.notes.as_deref(),
        Some("costs $$5 and ${NOT_A_VAR}")
    );
    assert!(app.plain.is_fallback_public_client);
}

#[test]
fn interpolation_errors_are_located() {
    check(
        "version: 1\nnamespace: t\ntenant: ${var.TENANT_ID}\napplications:\n  a:\n    displayName: \"App ${var.UNSET_NAME}\"\n    notes: ${var.broken\n",
        expect![[r#"
            error: apps.yaml:3:9: variable `TENANT_ID` is not defined
              hint: pass `--var TENANT_ID=…`, define it in a `--var-file`, or set `REGISTRAR_VAR_TENANT_ID`; or give a default: `${var.TENANT_ID:-value}`
            error: apps.yaml:6:23: variable `UNSET_NAME` is not defined
              hint: pass `--var UNSET_NAME=…`, define it in a `--var-file`, or set `REGISTRAR_VAR_UNSET_NAME`; or give a default: `${var.UNSET_NAME:-value}`
            error: apps.yaml:7:12: unterminated `${` (no closing `}`)
              hint: write `$${` for a literal `${`

            3 errors in 1 file; nothing was changed"#]],
    );
}

/// A lookup that answers every name with a canary and records what it was asked.
fn canary_vars(asked: &std::cell::RefCell<Vec<String>>) -> impl Fn(&str) -> Option<String> + '_ {
    move |name: &str| {
        asked.borrow_mut().push(name.to_owned());
        Some("CANARY-not-for-print".to_owned())
    }
}

#[test]
fn environment_references_are_errors_that_read_nothing() {
    let asked = std::cell::RefCell::new(Vec::new());
    let vars = canary_vars(&asked);
    let yaml = "version: 1\nnamespace: t\napplications:\n  a:\n    notes: ${AZURE_CLIENT_SECRET}\n    description: \"x ${env.GITHUB_TOKEN}\"\n";
    let result = render(load_str(Path::new("apps.yaml"), yaml, &vars));
    expect![[r#"
        error: apps.yaml:5:12: `${AZURE_CLIENT_SECRET}` is not a variable reference
          hint: manifests read only variables: write `${var.AZURE_CLIENT_SECRET}` and pass `--var AZURE_CLIENT_SECRET=…`, a `--var-file`, or set `REGISTRAR_VAR_AZURE_CLIENT_SECRET`; other environment variables are never read
        error: apps.yaml:6:21: `${env.GITHUB_TOKEN}` is not a variable reference
          hint: manifests read only variables: write `${var.GITHUB_TOKEN}` and pass `--var GITHUB_TOKEN=…`, a `--var-file`, or set `REGISTRAR_VAR_GITHUB_TOKEN`; other environment variables are never read

        2 errors in 1 file; nothing was changed"#]]
    .assert_eq(&result);
    assert!(asked.borrow().is_empty(), "looked up {:?}", asked.borrow());
}

#[test]
fn diagnostics_show_the_expression_not_the_value() {
    let vars = |name: &str| match name {
        "HOST" => Some("evil.example.com/x#frag".to_owned()),
        "VAULT" => Some("Not_A_Vault!".to_owned()),
        "OWNER" => Some("not an owner".to_owned()),
        "SCOPE" => Some("/subscription/abc".to_owned()),
        "LONG" => Some("L".repeat(700)),
        _ => None,
    };
    let yaml = "version: 1\nnamespace: t\napplications:\n  a:\n    web:\n      redirectUris: [\"https://${var.HOST}\"]\n    owners: [\"${var.OWNER}\"]\n    notes: ${var.LONG}\n    secrets:\n      s:\n        store: { keyVault: { vault: \"${var.VAULT}\", name: s } }\n    roleAssignments:\n      - { role: Reader, scope: \"${var.SCOPE}\" }\n";
    let result = render(load_str(Path::new("apps.yaml"), yaml, &vars));
    for value in [
        "evil.example.com",
        "Not_A_Vault",
        "not an owner",
        "/subscription/abc",
        "LLLL",
    ] {
        assert!(!result.contains(value), "`{value}` shown:\n{result}");
    }
    assert!(result.contains("`https://${var.HOST}`"), "{result}");
    assert!(result.contains("`${var.VAULT}`"), "{result}");
    assert!(result.contains("`${var.OWNER}`"), "{result}");
    assert!(result.contains("${var.SCOPE}"), "{result}");
    assert!(result.starts_with("error: apps.yaml:"), "{result}");
}

#[test]
fn variables_from_every_source_reach_the_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("vars.env");
    std::fs::write(&file, "from_file=file value\nboth=file\n").expect("write");
    let mut variables = crate::Variables::new(|name: &str| match name {
        "REGISTRAR_VAR_from_env" => Some("env value".to_owned()),
        "REGISTRAR_VAR_both" => Some("env".to_owned()),
        "from_env" => Some("unprefixed, never read".to_owned()),
        _ => None,
    });
    variables.set("from_flag=flag value").expect("set");
    variables.set("both=flag").expect("set");
    variables.read_file(&file).expect("reads");
    let yaml = "version: 1\nnamespace: t\napplications:\n  a:\n    notes: ${var.from_flag}|${var.from_file}|${var.from_env}|${var.both}\n";
    let vars = |name: &str| variables.get(name);
    let loaded = load_str(Path::new("apps.yaml"), yaml, &vars).expect("loads");
    assert_eq!(
        loaded.desired.applications[0].plain.notes.as_deref(),
        Some("flag value|file value|env value|flag")
    );
}

// ---------------------------------------------------------------------------------------------
// secret file paths

fn secret_file_app(path: &str) -> String {
    format!(
        "version: 1\nnamespace: t\napplications:\n  a:\n    secrets:\n      s:\n        store: {{ file: {{ path: \"{path}\" }} }}\n"
    )
}

#[test]
fn secret_files_may_not_leave_their_directory() {
    let result = ["../escape.json", "/tmp/x.json", "a/../../escape.json"]
        .map(|path| {
            render(load_str(
                Path::new("dir/apps.yaml"),
                &secret_file_app(path),
                &env,
            ))
        })
        .join("\n");
    expect![[r#"
        error: dir/apps.yaml:7:32: secret file path `../escape.json` leaves the directory it is relative to
          hint: a secret file stays inside the manifest's directory (or `--secret-dir DIR`); remove the `..`, or pass `--secret-dir` with the directory it belongs in

        1 error in 1 file; nothing was changed
        error: dir/apps.yaml:7:32: secret file path `/tmp/x.json` is absolute
          hint: write it relative to the manifest's directory, or pass `--secret-dir DIR` and write it relative to DIR

        1 error in 1 file; nothing was changed
        error: dir/apps.yaml:7:32: secret file path `a/../../escape.json` leaves the directory it is relative to
          hint: a secret file stays inside the manifest's directory (or `--secret-dir DIR`); remove the `..`, or pass `--secret-dir` with the directory it belongs in

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&result);
}

fn file_store_path(loaded: &Loaded) -> PathBuf {
    match &loaded.desired.applications[0].secrets[0].store {
        registrar_model::SecretStoreLocation::File { path, .. } => PathBuf::from(path),
        other => panic!("not a file store: {other:?}"),
    }
}

#[test]
fn secret_files_are_relative_to_the_manifest_or_the_secret_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let manifests = root.join("manifests");
    std::fs::create_dir(&manifests).expect("mkdir");
    let manifest = manifests.join("apps.yaml");
    std::fs::write(&manifest, secret_file_app("./out/../s.json")).expect("write");
    let loaded = load(std::slice::from_ref(&manifest), &env).expect("loads");
    assert_eq!(file_store_path(&loaded), manifests.join("s.json"));

    let secrets = root.join("secrets");
    let options = crate::LoadOptions {
        vars: &env,
        secret_dir: Some(&secrets),
    };
    let loaded = crate::load_with(&[manifest], &options).expect("loads");
    assert_eq!(file_store_path(&loaded), secrets.join("s.json"));
}

// ---------------------------------------------------------------------------------------------
// directories

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

fn render_dir(dir: &Path) -> String {
    let shown = dir.display().to_string();
    render(load(&[dir.to_path_buf()], &env)).replace(&shown, "dir")
}

#[test]
fn directory_files_are_merged_in_name_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "b.yml",
        "version: 1\nnamespace: t\napplications:\n  b-app: {}\n",
    );
    write(
        dir.path(),
        "a.yaml",
        "version: 1\nnamespace: t\ntenant: contoso.onmicrosoft.com\ndefaults: { owners: [alice@contoso.com] }\napplications:\n  a-app: {}\n",
    );
    write(dir.path(), "notes.txt", "not a manifest");
    let loaded = load(&[dir.path().to_path_buf()], &env).expect("loads");
    let names: Vec<String> = loaded
        .files
        .iter()
        .map(|file| {
            file.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["a.yaml", "b.yml"]);
    let keys: Vec<&str> = loaded
        .desired
        .applications
        .iter()
        .map(|app| app.key.as_str())
        .collect();
    assert_eq!(keys, ["a-app", "b-app"]);
    assert_eq!(
        loaded.desired.tenant.as_deref(),
        Some("contoso.onmicrosoft.com")
    );
    // defaults apply to the applications of their own file only
    assert_eq!(loaded.desired.applications[0].owners.len(), 1);
    assert!(loaded.desired.applications[1].owners.is_empty());
}

#[test]
fn directory_duplicate_key_and_disagreeing_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "a.yaml",
        "version: 1\nnamespace: t\ntenant: contoso.onmicrosoft.com\napplications:\n  shared: {}\n",
    );
    write(
        dir.path(),
        "b.yaml",
        "version: 1\nnamespace: other\ntenant: fabrikam.onmicrosoft.com\napplications:\n  shared: {}\n",
    );
    expect![[r#"
        error: dir/b.yaml:2:12: namespace `other` differs from `t` in dir/a.yaml
          hint: all files of a manifest must agree on `namespace`
        error: dir/b.yaml:3:9: tenant `fabrikam.onmicrosoft.com` differs from `contoso.onmicrosoft.com` in dir/a.yaml
          hint: all files of a manifest must agree on `tenant`
        error: dir/b.yaml:5:3: application `shared` is defined twice
          hint: it is first defined at dir/a.yaml:5:3

        3 errors in 1 file; nothing was changed"#]].assert_eq(&render_dir(dir.path()));
}

#[test]
fn directory_without_manifests_and_missing_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    expect![[r#"
        error: dir: the directory holds no `*.yaml` or `*.yml` files

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&render_dir(dir.path()));
    expect![[r#"
        error: /nonexistent/registrar/apps.yaml: cannot read: no such file or directory

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&render(load(
        &[PathBuf::from("/nonexistent/registrar/apps.yaml")],
        &env,
    )));
    expect![[r#"
        error: no manifest given
          hint: pass a manifest file or a directory of them

        1 error; nothing was changed"#]]
    .assert_eq(&render(load(&[], &env)));
}

// ---------------------------------------------------------------------------------------------
// everything in one run

#[test]
fn all_errors_in_one_run() {
    check_app(
        "appId: not-a-guid\nredirectUri: https://a.contoso.com\nsecrets:\n  ci:\n    lifetime: 180 days\n    store: { keyVault: { vault: kv-a, name: ci } }\n",
        expect![[r#"
            error: apps.yaml:5:12: appId `not-a-guid` is not a GUID
              hint: an appId looks like `00000000-0000-0000-0000-000000000000`
            error: apps.yaml:6:5: unknown key `redirectUri`
            error: apps.yaml:9:19: `180 days` is not a duration
              hint: write a whole number and a unit: `180d`, `12h`, `2w`, `90m`, or ISO-8601 like `P180D`, `PT12H`

            3 errors in 1 file; nothing was changed"#]],
    );
}

#[test]
fn a_type_error_in_one_application_does_not_hide_others() {
    check(
        "version: 1\nnamespace: t\nextra: 1\napplications:\n  a:\n    web: []\n    tagz: []\n  b:\n    appId: nope\n",
        expect![[r#"
            error: apps.yaml:3:1: unknown key `extra`
              hint: the keys allowed here are `version`, `namespace`, `tenant`, `defaults` or `applications`
            error: apps.yaml:6:10: expected a mapping, found a list
            error: apps.yaml:7:5: unknown key `tagz`
              hint: did you mean `tags`?
            error: apps.yaml:9:12: appId `nope` is not a GUID
              hint: an appId looks like `00000000-0000-0000-0000-000000000000`

            4 errors in 1 file; nothing was changed"#]],
    );
}

// ---------------------------------------------------------------------------------------------
// hostile and broken input: bounded, located, never a panic

#[test]
fn robustness_billion_laughs() {
    let mut yaml = "version: 1\nnamespace: t\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n".to_owned();
    let mut previous = 'a';
    for name in 'b'..='i' {
        yaml.push_str(&format!("{name}: &{name} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]\n"));
        previous = name;
    }
    let result = render(load_str(Path::new("apps.yaml"), &yaml, &env));
    expect![[r#"
        error: apps.yaml:8:11: the YAML uses too many aliases (`*name`) for a manifest; is it an alias bomb?

        1 error in 1 file; nothing was changed"#]].assert_eq(&result);
}

#[test]
fn robustness_deep_nesting() {
    let depth = 10_000;
    let yaml = format!(
        "version: 1\nnamespace: t\nx: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let result = render(load_str(Path::new("apps.yaml"), &yaml, &env));
    expect![[r#"
        error: apps.yaml:3:36: the YAML is nested deeper than 32 levels

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&result);
    // block sequences nested on one line: `- - - … x`
    let block = format!("version: 1\nnamespace: t\nx:\n  {}x\n", "- ".repeat(depth));
    let result = render(load_str(Path::new("apps.yaml"), &block, &env));
    expect![[r#"
        error: apps.yaml:4:65: the YAML is nested deeper than 32 levels

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&result);
}

#[test]
fn robustness_huge_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.yaml");
    let mut text = "version: 1\nnamespace: t\nnotes: ".to_owned();
    text.push_str(&"x".repeat(20 * 1024 * 1024));
    std::fs::write(&path, text).expect("write");
    let result = render(load(&[path], &env)).replace(&dir.path().display().to_string(), "dir");
    expect![[r#"
        error: dir/huge.yaml: the file is larger than 8 MiB, the limit for a manifest
          hint: split the manifest into several files in one directory

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&result);
}

#[test]
fn robustness_invalid_utf8() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, b"version: 1\nnamespace: t\nnotes: caf\xE9\n").expect("write");
    let result = render(load(&[path], &env)).replace(&dir.path().display().to_string(), "dir");
    expect![[r#"
        error: dir/bad.yaml:3:11: the file is not valid UTF-8
          hint: save the manifest as UTF-8

        1 error in 1 file; nothing was changed"#]]
    .assert_eq(&result);
}

#[test]
fn robustness_empty_list_and_scalar_documents() {
    check(
        "",
        expect![[r#"
        error: apps.yaml: the file is empty
          hint: a manifest declares at least `version: 1`, `namespace` and `applications`

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "# only a comment\n",
        expect![[r#"
        error: apps.yaml: the file is empty
          hint: a manifest declares at least `version: 1`, `namespace` and `applications`

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "- version: 1\n- namespace: t\n",
        expect![[r#"
        error: apps.yaml:1:1: expected a mapping at the top of the manifest, found a list
          hint: a manifest starts with `version: 1`, `namespace: …` and `applications:`

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "just a string\n",
        expect![[r#"
        error: apps.yaml:1:1: expected a mapping at the top of the manifest, found the string `just a string`
          hint: a manifest starts with `version: 1`, `namespace: …` and `applications:`

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "version: 1\nnamespace: t\n---\nversion: 1\n",
        expect![[r#"
        error: apps.yaml:3:1: a manifest file holds one YAML document, and this one has more (`---`)

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "version: 1\nnamespace: t\napplications: [a, b]\n",
        expect![[r#"
        error: apps.yaml:3:15: expected a mapping of applications by key, found a list
          hint: write `applications:` then each application's key, e.g. `  my-api:`

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "version: 1\nnamespace: [t\n",
        expect![[r#"
        error: apps.yaml:2:12: invalid YAML: unclosed bracket '['

        1 error in 1 file; nothing was changed"#]],
    );
    check(
        "version: 1\nnamespace: t\n\tapplications: {}\n",
        expect![[r#"
        error: apps.yaml:2:12: invalid YAML: while scanning a plain scalar, found a tab

        1 error in 1 file; nothing was changed"#]],
    );
}

/// Quadratic checks would make this take minutes; it must stay a fraction of a second (not
/// asserted: performance belongs to benchmarks, a hang shows as a stuck test).
#[test]
fn robustness_wide_documents() {
    let mut yaml = "version: 1\nnamespace: t\nx:\n".to_owned();
    for index in 0..60_000 {
        yaml.push_str(&format!("  k{index}: v\n"));
    }
    yaml.push_str("applications:\n  a:\n    web:\n      redirectUris:\n");
    for index in 0..60_000 {
        yaml.push_str(&format!(
            "        - https://app.contoso.com/{}\n",
            index % 30_000
        ));
    }
    let result = render(load_str(Path::new("apps.yaml"), &yaml, &env));
    assert!(
        result.starts_with("error: apps.yaml:3:1: unknown key `x`"),
        "{}",
        &result[..200.min(result.len())]
    );
    assert!(
        result.ends_with("30001 errors in 1 file; nothing was changed"),
        "{}",
        &result[result.len().saturating_sub(200)..]
    );
}
