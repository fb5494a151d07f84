use std::collections::BTreeSet;

use fluent_bundle::FluentResource;
use fluent_syntax::ast;

use super::*;

/// Message ids with a non-empty value, and the ids with an empty or missing value.
fn messages(source: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let resource = match FluentResource::try_new(source.to_owned()) {
        Ok(resource) => resource,
        Err((_, errors)) => panic!("syntax errors: {errors:?}"),
    };
    let mut present = BTreeSet::new();
    let mut empty = BTreeSet::new();
    for entry in resource.entries() {
        if let ast::Entry::Message(message) = entry {
            let has_text = message.value.as_ref().is_some_and(|pattern| {
                pattern.elements.iter().any(|element| match element {
                    ast::PatternElement::TextElement { value } => !value.trim().is_empty(),
                    ast::PatternElement::Placeable { .. } => true,
                })
            });
            if has_text {
                assert!(
                    present.insert(message.id.name.to_owned()),
                    "duplicate {}",
                    message.id.name
                );
            } else {
                empty.insert(message.id.name.to_owned());
            }
        }
    }
    (present, empty)
}

#[test]
fn every_locale_has_every_key_of_en_us_with_no_empty_values() {
    let (reference, reference_empty) = messages(LOCALES[0].source);
    assert!(
        reference_empty.is_empty(),
        "en-US has empty values: {reference_empty:?}"
    );
    assert!(reference.len() > 50);
    for locale in &LOCALES[1..] {
        let (present, empty) = messages(locale.source);
        let missing: Vec<_> = reference.difference(&present).collect();
        let extra: Vec<_> = present.difference(&reference).collect();
        assert!(missing.is_empty(), "{} lacks {missing:?}", locale.tag);
        assert!(
            extra.is_empty(),
            "{} has keys en-US lacks: {extra:?}",
            locale.tag
        );
        assert!(
            empty.is_empty(),
            "{} has empty values: {empty:?}",
            locale.tag
        );
    }
}

#[test]
fn required_languages_are_shipped() {
    for tag in ["en-US", "zh-TW", "zh-CN", "fr", "de", "es"] {
        assert_eq!(best_locale(tag).tag, tag);
    }
}

#[test]
fn translations_differ_from_english_where_they_should() {
    let english = I18n::new("en-US");
    for locale in &LOCALES[1..] {
        let other = I18n::new(locale.tag);
        assert_ne!(
            other.tr("sidebar-settings"),
            english.tr("sidebar-settings"),
            "{}",
            locale.tag
        );
    }
    assert_eq!(I18n::new("zh-TW").tr("sidebar-settings"), "設定");
    assert_eq!(I18n::new("zh-CN").tr("sidebar-settings"), "设置");
}

#[test]
fn arguments_are_substituted_without_isolation_marks() {
    let text = I18n::new("fr").tr_args("about-version", &[("version", "1.2.3".into())]);
    assert_eq!(text, "Version 1.2.3");
}

#[test]
fn language_tags_fall_back_sensibly() {
    assert_eq!(best_locale("fr-CA").tag, "fr");
    assert_eq!(best_locale("zh-Hant").tag, "zh-TW");
    assert_eq!(best_locale("zh-HK").tag, "zh-TW");
    assert_eq!(best_locale("zh").tag, "zh-CN");
    assert_eq!(best_locale("xx-unknown").tag, "en-US");
    assert_eq!(I18n::new("de").tr("no-such-key"), "no-such-key");
}

/// Every key the window's code names in `.tr("…")` or `.tr_args("…"` is in the English file
/// (a missing one shows its key to the user).
#[test]
fn every_key_the_code_uses_is_translated() {
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                out.push(path);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let english = std::fs::read_to_string(root.join("locales/en-US/ringlet.ftl")).unwrap();
    let defined: std::collections::BTreeSet<&str> = english
        .lines()
        .filter_map(|line| line.split_once(" = ").map(|(key, _)| key.trim()))
        .collect();
    let mut files = Vec::new();
    sources(&root.join("src/ui"), &mut files);
    let mut missing = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for call in [".tr(\"", ".tr_args(\""] {
            for (at, _) in text.match_indices(call) {
                let rest = &text[at + call.len()..];
                let Some(end) = rest.find('"') else { continue };
                let key = &rest[..end];
                let is_key = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if is_key && !defined.contains(key) {
                    missing.push(format!("{key} ({})", file.display()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys with no English text: {missing:#?}"
    );
}

#[test]
fn a_problem_the_engine_reports_is_said_in_each_language() {
    let problem = crate::model::Problem::new(
        "problem-device-failed",
        &[("device", "speaker"), ("name", "pulse")],
    );
    assert_eq!(
        problem.english(),
        "Speaker pulse failed; using the default one"
    );
    assert_eq!(
        problem.say(&I18n::new("zh-TW")),
        "喇叭 pulse 發生故障；改用預設裝置"
    );
    let microphone = crate::model::Problem::new(
        "problem-no-device",
        &[("device", "microphone"), ("error", "no device \"default\"")],
    );
    assert_eq!(
        microphone.say(&I18n::new("de")),
        "Kein Mikrofon für Anrufe: no device \"default\""
    );
}
