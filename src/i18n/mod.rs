//! Fluent translations. Every locale in `locales/<lang>/ringlet.ftl` is built into the
//! binary, so a portable executable carries them all; the language can change at run time.

use std::borrow::Cow;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// The reference language; every other locale carries all of its messages.
pub const DEFAULT_LANGUAGE: &str = "en-US";

/// A shipped locale: tag, name in its own language, Fluent source.
#[derive(Debug, Clone, Copy)]
pub struct Locale {
    /// BCP 47 tag.
    pub tag: &'static str,
    /// Name of the language in that language (shown in the language picker).
    pub native_name: &'static str,
    /// The Fluent source.
    pub source: &'static str,
}

/// The shipped locales, reference first.
pub const LOCALES: &[Locale] = &[
    Locale {
        tag: "en-US",
        native_name: "English",
        source: include_str!("../../locales/en-US/ringlet.ftl"),
    },
    Locale {
        tag: "zh-TW",
        native_name: "繁體中文",
        source: include_str!("../../locales/zh-TW/ringlet.ftl"),
    },
    Locale {
        tag: "zh-CN",
        native_name: "简体中文",
        source: include_str!("../../locales/zh-CN/ringlet.ftl"),
    },
    Locale {
        tag: "fr",
        native_name: "Français",
        source: include_str!("../../locales/fr/ringlet.ftl"),
    },
    Locale {
        tag: "de",
        native_name: "Deutsch",
        source: include_str!("../../locales/de/ringlet.ftl"),
    },
    Locale {
        tag: "es",
        native_name: "Español",
        source: include_str!("../../locales/es/ringlet.ftl"),
    },
];

/// Translations for one language, with English behind it for anything missing.
pub struct I18n {
    language: &'static str,
    bundle: FluentBundle<FluentResource>,
    fallback: FluentBundle<FluentResource>,
}

impl I18n {
    /// Translations for `tag`; an unknown tag is matched by its language (`fr-CA` → `fr`,
    /// `zh-Hant` → `zh-TW`) and otherwise gives English.
    pub fn new(tag: &str) -> I18n {
        let locale = best_locale(tag);
        I18n {
            language: locale.tag,
            bundle: bundle(locale),
            fallback: bundle(&LOCALES[0]),
        }
    }

    /// The tag of the language in use.
    pub fn language(&self) -> &'static str {
        self.language
    }

    /// The message `key`.
    pub fn tr(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with arguments, e.g. `[("name", "Alice".into())]`.
    pub fn tr_args(&self, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        self.format(key, Some(&fluent_args))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        for bundle in [&self.bundle, &self.fallback] {
            if let Some(pattern) = bundle.get_message(key).and_then(|message| message.value()) {
                let mut errors = Vec::new();
                let text: Cow<'_, str> = bundle.format_pattern(pattern, args, &mut errors);
                return text.into_owned();
            }
        }
        // A missing key shows itself, which a test catches before users do.
        key.to_owned()
    }
}

/// The shipped locale closest to `tag`.
pub fn best_locale(tag: &str) -> &'static Locale {
    let wanted: Option<LanguageIdentifier> = tag.parse().ok();
    let exact = LOCALES
        .iter()
        .find(|locale| locale.tag.eq_ignore_ascii_case(tag));
    let by_language = || {
        let wanted = wanted.as_ref()?;
        let language = wanted.language.as_str();
        if language == "zh" {
            // Traditional script for Taiwan, Hong Kong, Macau or an explicit Hant.
            let traditional = wanted
                .script
                .is_some_and(|script| script.as_str() == "Hant")
                || wanted
                    .region
                    .is_some_and(|region| matches!(region.as_str(), "TW" | "HK" | "MO"));
            let tag = if traditional { "zh-TW" } else { "zh-CN" };
            return LOCALES.iter().find(|locale| locale.tag == tag);
        }
        LOCALES
            .iter()
            .find(|locale| locale.tag.split('-').next() == Some(language))
    };
    exact.or_else(by_language).unwrap_or(&LOCALES[0])
}

/// The language of the environment (`LC_ALL`, `LC_MESSAGES`, `LANG`), as a shipped tag.
pub fn system_language() -> &'static str {
    let value = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .unwrap_or_default();
    // POSIX locales look like zh_TW.UTF-8@euro.
    let tag = value
        .split(['.', '@'])
        .next()
        .unwrap_or_default()
        .replace('_', "-");
    if tag.is_empty() || tag == "C" || tag == "POSIX" {
        DEFAULT_LANGUAGE
    } else {
        best_locale(&tag).tag
    }
}

fn bundle(locale: &Locale) -> FluentBundle<FluentResource> {
    let langid: LanguageIdentifier = locale.tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // Unicode isolation marks around arguments render as boxes in egui; plain text is fine
    // for the short, single-direction arguments used here.
    bundle.set_use_isolating(false);
    // Shipped sources are checked by tests; a syntax error keeps the entries that parsed.
    let resource =
        FluentResource::try_new(locale.source.to_owned()).unwrap_or_else(|(partial, _)| partial);
    // Duplicate ids are reported by the completeness test; the first definition wins.
    bundle.add_resource_overriding(resource);
    bundle
}

#[cfg(test)]
mod tests;
