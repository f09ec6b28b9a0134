//! Interpolation, directories of files, every error in one run, and hostile or broken input.

use super::*;

// ---------------------------------------------------------------------------------------------
// interpolation

#[test]
fn interpolation_in_string_values() {
    let loaded = loaded(
        "version: 1\nnamespace: t\ntenant: ${TENANT}\napplications:\n  a:\n    displayName: ${NAME:-Default name}\n    notes: costs $$5 and $${NOT_A_VAR}\n    allowPublicClientFlows: ${PUBLIC}\n",
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
        "version: 1\nnamespace: t\ntenant: ${TENANT_ID}\napplications:\n  a:\n    displayName: \"App ${UNSET_NAME}\"\n    notes: ${broken\n",
        expect![[r#"
            error: apps.yaml:3:9: environment variable `TENANT_ID` is not set
              hint: set it, or give a default: `${TENANT_ID:-value}`
            error: apps.yaml:6:23: environment variable `UNSET_NAME` is not set
              hint: set it, or give a default: `${UNSET_NAME:-value}`
            error: apps.yaml:7:12: unterminated `${` (no closing `}`)
              hint: write `$${` for a literal `${`

            3 errors in 1 file; nothing was changed"#]],
    );
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
