# Ringlet, Deutsch.

app-name = Ringlet
app-tagline = Ein freies, dezentrales Softphone mit Messenger

## Sidebar
sidebar-accounts = Konten
sidebar-contacts = Kontakte
sidebar-conversations = Unterhaltungen
sidebar-search-hint = Kontakte und Nachrichten durchsuchen
sidebar-no-accounts = Noch kein Konto.
sidebar-no-contacts = Noch keine Kontakte.
contact-call = Anrufen
sidebar-no-conversations = Noch keine Unterhaltungen.
sidebar-add-account = Konto hinzufügen
sidebar-settings = Einstellungen
sidebar-about = Über
sidebar-no-match = Keine Treffer für „{ $query }“.

## Accounts
account-kind-sip = SIP
account-kind-p2p = Peer-to-Peer
account-disabled = deaktiviert
account-auto-answer = Automatisch annehmen
registration-offline = Offline
registration-trying = Verbinde…
registration-registered = Online
registration-failed = Fehlgeschlagen: { $reason }
account-id = Konto-ID
account-name = Name
account-rename = Umbenennen
account-enabled = Aktiviert
account-delete = Konto löschen
account-delete-confirm = „{ $name }“ mit allen Daten löschen? Das lässt sich nicht rückgängig machen.
account-delete-yes = Löschen
account-export = Archiv exportieren
account-export-path = Archiv speichern unter
account-export-passphrase = Passphrase für das Archiv
account-export-done = Archiv gespeichert unter { $path }
account-devices = Geräte
account-this-device = dieses Gerät
account-sip-address = SIP-Adresse
account-registrar = Registrar
account-none = keiner

## Account wizard
wizard-title = Konto hinzufügen
wizard-choose = Welche Art von Konto möchten Sie?
wizard-create-p2p = Peer-to-Peer-Konto erstellen
wizard-create-p2p-help = Eine Identität ganz ohne Server: ein Schlüsselpaar auf diesem Gerät.
wizard-import = Kontoarchiv importieren
wizard-import-help = Fügen Sie dieses Gerät einem bestehenden Konto hinzu – mit einem Archiv, das auf einem anderen Gerät exportiert wurde.
wizard-add-sip = SIP-Konto hinzufügen
wizard-add-sip-help = Nutzen Sie ein Konto bei einem SIP-Anbieter oder einer Telefonanlage wie Asterisk oder Kamailio.
wizard-display-name = Anzeigename
wizard-device-name = Gerätename
wizard-archive-file = Archivdatei
wizard-passphrase = Passphrase
wizard-sip-aor = SIP-Adresse
wizard-sip-registrar = Registrar (optional)
wizard-sip-username = Benutzername (optional)
wizard-sip-password = Passwort
wizard-sip-transport = Transport
sip-settings = SIP-Einstellungen
sip-new-password = Neues Passwort
sip-password-unchanged = unverändert
sip-listen = Lauschadresse
sip-listen-hint = IP:PORT, z. B. 0.0.0.0:5060 für Direktanrufe
sip-listen-invalid = Die Lauschadresse muss IP:PORT sein, z. B. 0.0.0.0:5060.
sip-expires-invalid = Das Registrierungsintervall muss eine Zahl von Sekunden sein.
sip-codecs-none = Wählen Sie mindestens einen Codec.
sip-advanced = Erweiterte Einstellungen
sip-outbound-proxy = Ausgehender Proxy
sip-stun = STUN-Server
sip-srtp = Verschlüsselung (SRTP)
sip-srtp-off = Aus
sip-srtp-optional = Wenn die Gegenseite kann
sip-srtp-mandatory = Immer (unverschlüsselte Anrufe ablehnen)
sip-codecs = Codecs, in Reihenfolge
sip-codec-up = Nach oben
sip-codec-down = Nach unten
sip-dtmf = DTMF
sip-dtmf-inband = Im Ton
sip-expires = Registrierungsintervall (s)
sip-voicemail = Mailbox überwachen
sip-auto-answer = Anrufe sofort annehmen
sip-tls-ca = Zusätzliche CA-Zertifikate (PEM)
sip-save = Speichern
sip-revert = Zurücksetzen
sip-saved = Gespeichert; das Konto registriert sich neu.
wizard-create = Konto erstellen
wizard-import-button = Importieren
wizard-add = Konto hinzufügen
wizard-back = Zurück
wizard-cancel = Abbrechen
wizard-name-required = Bitte einen Namen eingeben.
wizard-path-required = Bitte den Pfad der Archivdatei eingeben.
wizard-aor-invalid = Bitte eine Adresse wie sip:alice@example.org eingeben.
wizard-busy = Wird bearbeitet…

## Settings
settings-title = Einstellungen
settings-language = Sprache
settings-theme = Design
settings-theme-dark = Dunkel
settings-theme-light = Hell
settings-audio = Audio
settings-audio-input = Mikrofon
settings-audio-output = Lautsprecher
settings-audio-default = Systemstandard
settings-input-level = Eingangspegel
settings-refresh-devices = Geräte neu suchen
settings-no-devices = Keine Audiogeräte gefunden.
settings-ringtone = Klingelton
settings-ringtone-default = Eingebauter Klingelton
settings-ringtone-path = Klingelton-Datei
settings-apply = Übernehmen
settings-close = Schließen

## About
about-title = Über Ringlet
about-version = Version { $version }
about-license = Freie Software unter der GNU General Public License, Version 3 oder neuer.
about-data-dir = Datenordner: { $path }
about-close = Schließen

## Main area
welcome-title = Willkommen bei Ringlet
welcome-body = Erstellen Sie ein Peer-to-Peer-Konto, um ganz ohne Server zu kommunizieren, oder fügen Sie ein SIP-Konto hinzu, um jedes Telefon anzurufen.
error-title = Etwas ist schiefgegangen
error-dismiss = Schließen

## Calls
calls-title = Anrufe
call-answer = Annehmen
call-reject = Ablehnen
call-hangup = Auflegen
call-state-incoming = Eingehender Anruf
call-state-outgoing = Wählt…
call-state-active = Im Gespräch
call-state-held = Gehalten
dial-hint = sip:name@host
dial-button = Anrufen

# Calls in progress, incoming calls and chat
call-hold = Halten
call-resume = Fortsetzen
call-held-remotely = Von der Gegenseite gehalten
call-keypad = Tastenfeld
call-transfer = Weiterleiten
call-transfer-hint = sip:jemand@example.org
call-transfer-to-call = Mit { $peer } verbinden
call-transfer-progress = Weiterleitung: { $code }
call-dtmf-received = Empfangene Tasten: { $digits }
call-dtmf-sent = Gesendete Tasten: { $digits }
call-show = Anruf zeigen
call-path = Ende-zu-Ende-verschlüsselt · { $path }
incoming-call-title = Eingehender Anruf
incoming-call-from = { $peer } ruft an
chat-send = Senden
chat-hint = Nachricht schreiben
chat-empty = Noch keine Nachrichten.
dial-message = Nachricht
voicemail-count = { $new } neue und { $old } alte Sprachnachrichten

# Call audio
call-volume = Lautstärke
call-mute = Stumm
call-unmute = Stumm aus
call-record = Aufnehmen
call-record-stop = Aufnahme beenden
call-recording = Aufnahme
call-play-file = Datei abspielen
call-play-path = Audiodatei (FLAC, Ogg, MP3, WAV)
call-play = Abspielen
call-play-stop = Datei stoppen
call-merge = Anrufe zusammenführen
call-in-conference = In der Konferenz
call-statistics = Statistik
call-srtp-on = SRTP
call-srtp-off = unverschlüsselt
call-figures = Verlust { $loss } % · Jitter { $jitter } ms · RTT { $rtt } ms · ↑{ $up } ↓{ $down } kbit/s
call-level-sent = Gesendet
call-level-heard = Gehört
call-plot-loss = Verlust %
call-plot-jitter = Jitter ms
call-plot-rtt = RTT ms
settings-echo-cancellation = Echounterdrückung
settings-noise-suppression = Rauschunterdrückung
settings-gain-control = Automatische Pegelregelung
sidebar-requests = Kontaktanfragen
request-accept = Annehmen
request-decline = Ablehnen
request-block = Blockieren
contact-requested = Anfrage gesendet
contact-blocked = blockiert

# Files in P2P conversations
file-send = Datei senden
file-accept = Annehmen
file-decline = Ablehnen
file-state-offered = Angeboten
file-state-accepted = Wird empfangen
file-state-done = Fertig
file-state-declined = Abgelehnt
file-state-failed = Fehlgeschlagen
file-files = Dateien
file-resumed = fortgesetzt bei { $percent } %
chat-typing = { $who } schreibt…
settings-open-urls = Empfangene Links im Chat öffnen
settings-do-not-disturb = 🔕 Nicht stören
account-revoke = Widerrufen
account-revoke-yes = Endgültig widerrufen
account-share = Teilen
account-share-hint = Scannen, um dieses Konto als Kontakt hinzuzufügen.
chat-receipt-delivered = zugestellt
chat-receipt-read = gelesen
chat-search-hint = Diese Unterhaltung durchsuchen
chat-searching = Suche läuft…
chat-search-none = Nichts gefunden.
chat-search-found = { $count ->
    [one] Eine Nachricht gefunden
   *[other] { $count } Nachrichten gefunden
}
chat-deleted = (gelöscht)
account-device-rename-hint = Neuer Name dieses Geräts
account-device-rename = Gerät umbenennen
account-link = Neues Gerät
account-link-button = Neues Gerät mit einer PIN verbinden
account-link-pin-hint = Auf dem neuen Gerät „Mit einer PIN beitreten“ wählen und diese PIN eingeben. Sie gilt 10 Minuten.
account-stun = STUN-Server
account-stun-hint = stun.example.org:3478, …
account-stun-help = Anrufe fragen sie nach der öffentlichen Adresse dieses Geräts, zusätzlich zu den Bootstrap-Knoten.
account-stun-wrong = { $server } ist keine Serveradresse (HOST:PORT oder HOST).
wizard-link = Mit einer PIN beitreten
wizard-link-help = Dieses Gerät einem vorhandenen Konto hinzufügen: auf einem Gerät des Kontos eine PIN anfordern und hier eingeben.
wizard-pin = PIN
wizard-pin-required = Die auf dem anderen Gerät angezeigte PIN eingeben.
wizard-link-button = Beitreten
wizard-link-looking = Suche das unter dieser PIN angebotene Konto…
groups-you = du
groups-title = Gruppen
groups-none = Noch keine Gruppen.
groups-invited = eingeladen
groups-join = Beitreten
groups-leave = Verlassen
groups-admin = Admin
groups-not-joined = noch nicht beigetreten
groups-remove = Entfernen
groups-choose = Kontakt wählen
groups-add = Hinzufügen
groups-new-title = Titel einer neuen Gruppe
groups-create = Gruppe erstellen
groups-no-contacts = Bestätigte Kontakte können in eine Gruppe.

# The conversation-centred window (session 10)
sidebar-calls = Anrufe
sidebar-typing = schreibt…
sidebar-found-messages = Nachrichten
contact-declined = abgelehnt
presence-online = Online
presence-offline = Offline
contact-message = Nachricht
contact-no-conversation = Mit diesem Kontakt gibt es noch keine Unterhaltung.
contact-add = Kontakt hinzufügen
contact-add-p2p-hint = Konto-ID oder registrierter Name
contact-add-sip-hint = SIP-Adresse (sip:bob@example.org)
contact-add-address = Adresse des Kontakts
contact-add-name = Name (optional)
contact-add-do = Hinzufügen
contact-add-cancel = Abbrechen
contact-page-account = Kontakt von { $account }
contact-page-address = Adresse
contact-page-devices = Geräte
contact-page-no-devices = Noch kein Gerät gesehen
contact-unblock = Freigeben
contact-remove = Kontakt entfernen
contact-remove-ask = { $name } aus den Kontakten entfernen? Die Unterhaltung und ihr Verlauf bleiben.
contact-details = Kontaktdetails
recent-none = Noch keine Anrufe.
call-back = Zurückrufen
call-missed-from = Verpasster Anruf von { $peer }
call-ended-with = Anruf mit { $peer } beendet
end-reason-ended = Beendet
end-reason-remote-hangup = Die Gegenseite hat aufgelegt
end-reason-connection-lost = Verbindung verloren
end-reason-no-media = Kein nutzbarer Ton
end-reason-answered-elsewhere = Auf einem anderen Gerät angenommen
end-reason-transferred = Weitergeleitet
end-reason-you-declined = Von Ihnen abgelehnt
end-reason-declined = Abgelehnt
end-reason-busy = Besetzt
end-reason-offline = Nicht erreichbar (offline)
end-reason-not-found = Nicht gefunden
end-reason-no-answer = Keine Antwort
end-reason-incompatible = Inkompatibler Ton
end-reason-unreachable = Adresse nicht erreichbar
end-reason-missed = Verpasster Anruf
end-reason-cancelled = Abgebrochen
end-reason-refused = Abgewiesen ({ $code })
incoming-call-to = auf { $account }
chat-today = Heute
chat-yesterday = Gestern
welcome-ready = Wählen Sie links eine Unterhaltung oder fügen Sie einen Kontakt hinzu, um eine zu beginnen.
welcome-your-id = Andere fügen Sie auf { $account } mit dieser ID hinzu:
welcome-copy = Kopieren
chat-receipt-failed = nicht gesendet
chat-retry = Erneut senden
call-record-answered = Anruf, { $duration }
call-record-missed = Verpasster Anruf
call-record-declined = Abgelehnter Anruf
open-refused = Dieser Link lässt sich nicht öffnen: { $reason }
open-no-sip-account = Kein SIP-Konto ist bereit, { $uri } anzurufen. Fügen Sie eines hinzu oder aktivieren Sie es.
open-no-p2p-account = Kein Peer-to-Peer-Konto, um { $uri } zu öffnen. Legen Sie zuerst eines an.
tray-show = Ringlet anzeigen
tray-quit = Beenden
file-attach = Datei anhängen
file-drop-here = Dateien hier ablegen, um sie zu senden
file-open = Öffnen
file-show-folder = Im Ordner zeigen
picker-title-send = Datei zum Senden wählen
picker-title-play = Datei zum Abspielen im Anruf wählen
picker-up = ⬆ Hoch
picker-folder = Ordner
picker-empty = Dieser Ordner ist leer.
picker-unreadable = { $folder } kann nicht gelesen werden: { $reason }
picker-choose = Wählen …
chat-edit = Bearbeiten
chat-delete = Für alle löschen
chat-menu-hint = Rechtsklick: bearbeiten oder löschen
chat-editing = Nachricht wird bearbeitet
chat-edit-cancel = Abbrechen
chat-save = Speichern
account-call-elsewhere = Im Gespräch mit { $peer } auf { $device }
call-silence = Teilnehmer stummschalten
call-unsilence = Sprechen lassen
chat-emoji = Emoji
account-register-name = Registrierter Name
account-register-name-hint = 3–32 aus a-z, 0-9, . _ -
account-register = Registrieren
account-registered = Registriert: { $name }
file-picture = Bild { $name }

# Problems the engine reports (notices), said in every language.
problem-device-failed = { $device ->
    [microphone] Mikrofon
   *[speaker] Lautsprecher
} { $name } ist ausgefallen; das Standardgerät wird verwendet
problem-no-device = Kein { $device ->
    [microphone] Mikrofon
   *[speaker] Lautsprecher
} für Anrufe: { $error }
problem-no-meter = Die Pegelanzeige ist nicht verfügbar: { $error }
problem-no-jack = JACK ist nicht verfügbar ({ $error }); das System-Audio wird verwendet
problem-group-invite = { $from } hat Sie in eine Gruppe eingeladen ({ $group })
problem-account-offline = Das Konto { $account } ist nicht online
problem-no-account = Es gibt kein Konto { $account }
problem-own-id = Das ist die eigene ID dieses Kontos
