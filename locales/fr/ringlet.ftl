# Ringlet, français.

app-name = Ringlet
app-tagline = Un softphone et une messagerie libres et décentralisés

## Sidebar
sidebar-accounts = Comptes
sidebar-contacts = Contacts
sidebar-conversations = Conversations
sidebar-search-hint = Rechercher des contacts et des messages
sidebar-no-accounts = Aucun compte pour l’instant.
sidebar-no-contacts = Aucun contact pour l’instant.
contact-call = Appeler
sidebar-no-conversations = Aucune conversation pour l’instant.
sidebar-add-account = Ajouter un compte
sidebar-settings = Paramètres
sidebar-about = À propos
sidebar-no-match = Aucun résultat pour « { $query } ».

## Accounts
account-kind-sip = SIP
account-kind-p2p = Pair à pair
account-disabled = désactivé
account-auto-answer = Réponse automatique
registration-offline = Hors ligne
registration-trying = Connexion…
registration-registered = En ligne
registration-failed = Échec : { $reason }
account-id = Identifiant du compte
account-name = Nom
account-rename = Renommer
account-enabled = Activé
account-delete = Supprimer le compte
account-delete-confirm = Supprimer « { $name } » et toutes ses données ? Cette action est irréversible.
account-delete-yes = Supprimer
account-export = Exporter une archive
account-export-path = Enregistrer l’archive sous
account-export-passphrase = Phrase de passe de l’archive
account-export-done = Archive enregistrée dans { $path }
account-devices = Appareils
account-this-device = cet appareil
account-sip-address = Adresse SIP
account-registrar = Serveur d’enregistrement
account-none = aucun

## Account wizard
wizard-title = Ajouter un compte
wizard-choose = Quel type de compte voulez-vous ?
wizard-create-p2p = Créer un compte pair à pair
wizard-create-p2p-help = Une identité qui se passe de tout serveur : une paire de clés conservée sur cet appareil.
wizard-import = Importer une archive de compte
wizard-import-help = Ajoutez cet appareil à un compte existant grâce à une archive exportée depuis un autre appareil.
wizard-add-sip = Ajouter un compte SIP
wizard-add-sip-help = Utilisez un compte d’un opérateur SIP ou d’un autocommutateur comme Asterisk ou Kamailio.
wizard-display-name = Nom affiché
wizard-device-name = Nom de l’appareil
wizard-archive-file = Fichier d’archive
wizard-passphrase = Phrase de passe
wizard-sip-aor = Adresse SIP
wizard-sip-registrar = Serveur d’enregistrement (facultatif)
wizard-sip-username = Nom d’utilisateur (facultatif)
wizard-sip-password = Mot de passe
wizard-sip-transport = Transport
sip-settings = Réglages SIP
sip-new-password = Nouveau mot de passe
sip-password-unchanged = inchangé
sip-listen = Adresse d’écoute
sip-listen-hint = IP:PORT, p. ex. 0.0.0.0:5060 pour les appels directs
sip-listen-invalid = L’adresse d’écoute doit être IP:PORT, p. ex. 0.0.0.0:5060.
sip-expires-invalid = L’intervalle d’enregistrement doit être un nombre de secondes.
sip-codecs-none = Cochez au moins un codec.
sip-advanced = Réglages avancés
sip-outbound-proxy = Proxy sortant
sip-stun = Serveur STUN
sip-srtp = Chiffrement (SRTP)
sip-srtp-off = Désactivé
sip-srtp-optional = Si le correspondant le peut
sip-srtp-mandatory = Toujours (refuser les appels en clair)
sip-codecs = Codecs, dans l’ordre
sip-codec-up = Monter
sip-codec-down = Descendre
sip-dtmf = DTMF
sip-dtmf-inband = Dans l’audio
sip-expires = Intervalle d’enregistrement (s)
sip-voicemail = Surveiller la messagerie vocale
sip-auto-answer = Répondre aussitôt
sip-tls-ca = Certificats CA supplémentaires (PEM)
sip-save = Enregistrer
sip-revert = Annuler les modifications
sip-saved = Enregistré ; le compte s’enregistre à nouveau.
wizard-create = Créer le compte
wizard-import-button = Importer
wizard-add = Ajouter le compte
wizard-back = Retour
wizard-cancel = Annuler
wizard-name-required = Saisissez un nom.
wizard-path-required = Saisissez le chemin du fichier d’archive.
wizard-aor-invalid = Saisissez une adresse comme sip:alice@example.org.
wizard-busy = Traitement en cours…

## Settings
settings-title = Paramètres
settings-language = Langue
settings-theme = Thème
settings-theme-dark = Sombre
settings-theme-light = Clair
settings-audio = Audio
settings-audio-input = Microphone
settings-audio-output = Haut-parleur
settings-audio-default = Périphérique par défaut
settings-input-level = Niveau d’entrée
settings-refresh-devices = Actualiser les périphériques
settings-no-devices = Aucun périphérique audio trouvé.
settings-ringtone = Sonnerie
settings-ringtone-default = Sonnerie intégrée
settings-ringtone-path = Fichier de sonnerie
settings-apply = Appliquer
settings-close = Fermer

## About
about-title = À propos de Ringlet
about-version = Version { $version }
about-license = Logiciel libre sous licence publique générale GNU, version 3 ou ultérieure.
about-data-dir = Dossier de données : { $path }
about-close = Fermer

## Main area
welcome-title = Bienvenue dans Ringlet
welcome-body = Créez un compte pair à pair pour communiquer sans aucun serveur, ou ajoutez un compte SIP pour appeler n’importe quel téléphone.
error-title = Un problème est survenu
error-dismiss = Fermer

## Calls
calls-title = Appels
call-answer = Répondre
call-reject = Refuser
call-hangup = Raccrocher
call-state-incoming = Appel entrant
call-state-outgoing = Appel en cours…
call-state-active = En communication
call-state-held = En attente
dial-hint = sip:nom@hôte
dial-button = Appeler

# Calls in progress, incoming calls and chat
call-hold = Mettre en attente
call-resume = Reprendre
call-held-remotely = Mis en attente par l’autre partie
call-keypad = Clavier
call-transfer = Transférer
call-transfer-hint = sip:quelquun@example.org
call-transfer-to-call = Mettre en relation avec { $peer }
call-transfer-progress = Transfert : { $code }
call-dtmf-received = Touches reçues : { $digits }
call-dtmf-sent = Touches envoyées : { $digits }
call-show = Afficher l’appel
call-path = Chiffré de bout en bout · { $path }
incoming-call-title = Appel entrant
incoming-call-from = { $peer } vous appelle
chat-send = Envoyer
chat-hint = Écrire un message
chat-empty = Pas encore de messages.
dial-message = Message
voicemail-count = { $new } nouveaux et { $old } anciens messages vocaux

# Call audio
call-volume = Volume
call-mute = Couper le micro
call-unmute = Rétablir le micro
call-record = Enregistrer
call-record-stop = Arrêter l’enregistrement
call-recording = Enregistrement
call-play-file = Lire un fichier
call-play-path = Fichier audio (FLAC, Ogg, MP3, WAV)
call-play = Lire
call-play-stop = Arrêter le fichier
call-merge = Fusionner les appels
call-in-conference = En conférence
call-statistics = Statistiques
call-srtp-on = SRTP
call-srtp-off = non chiffré
call-figures = perte { $loss } % · gigue { $jitter } ms · RTT { $rtt } ms · ↑{ $up } ↓{ $down } kbit/s
call-level-sent = Envoyé
call-level-heard = Entendu
call-plot-loss = perte %
call-plot-jitter = gigue ms
call-plot-rtt = RTT ms
settings-echo-cancellation = Annulation d’écho
settings-noise-suppression = Réduction du bruit
settings-gain-control = Contrôle automatique du gain
sidebar-requests = Demandes de contact
request-accept = Accepter
request-decline = Refuser
request-block = Bloquer
contact-requested = demande envoyée
contact-blocked = bloqué

# Files in P2P conversations
file-send = Envoyer un fichier
file-accept = Accepter
file-decline = Refuser
file-state-offered = Proposé
file-state-accepted = Réception
file-state-done = Terminé
file-state-declined = Refusé
file-state-failed = Échec
file-files = Fichiers
file-resumed = repris à { $percent } %
chat-typing = { $who } écrit…
settings-open-urls = Ouvrir les liens reçus dans le chat
settings-do-not-disturb = 🔕 Ne pas déranger
account-revoke = Révoquer
account-revoke-yes = Révoquer définitivement
account-share = Partager
account-share-hint = Scannez pour ajouter ce compte comme contact.
chat-receipt-delivered = distribué
chat-receipt-read = lu
chat-search-hint = Rechercher dans cette conversation
chat-searching = Recherche…
chat-search-none = Rien trouvé.
chat-search-found = { $count ->
    [one] Un message trouvé
   *[other] { $count } messages trouvés
}
chat-deleted = (supprimé)
account-device-rename-hint = Nouveau nom de cet appareil
account-device-rename = Renommer l’appareil
account-link = Nouvel appareil
account-link-button = Lier un nouvel appareil avec un code PIN
account-link-pin-hint = Sur le nouvel appareil, choisissez « Rejoindre avec un code PIN » et saisissez ce code. Il vaut 10 minutes.
account-stun = Serveurs STUN
account-stun-hint = stun.example.org:3478, …
account-stun-help = Les appels leur demandent l’adresse publique de cet appareil, en plus des nœuds d’amorçage.
account-stun-wrong = { $server } n’est pas une adresse de serveur (HÔTE:PORT ou HÔTE).
wizard-link = Rejoindre avec un code PIN
wizard-link-help = Ajouter cet appareil à un compte existant : demandez un code PIN sur un appareil de ce compte, puis saisissez-le ici.
wizard-pin = Code PIN
wizard-pin-required = Saisissez le code PIN affiché sur votre autre appareil.
wizard-link-button = Rejoindre
wizard-link-looking = Recherche du compte proposé sous ce code PIN…
groups-you = vous
groups-title = Groupes
groups-none = Aucun groupe pour l’instant.
groups-invited = invité
groups-join = Rejoindre
groups-leave = Quitter
groups-admin = admin
groups-not-joined = pas encore rejoint
groups-remove = Retirer
groups-choose = Choisir un contact
groups-add = Ajouter
groups-new-title = Titre d’un nouveau groupe
groups-create = Créer le groupe
groups-no-contacts = Les contacts confirmés peuvent entrer dans un groupe.

# The conversation-centred window (session 10)
sidebar-calls = Appels
sidebar-typing = écrit…
sidebar-found-messages = Messages
contact-declined = refusé
presence-online = En ligne
presence-offline = Hors ligne
contact-message = Message
contact-no-conversation = Aucune conversation avec ce contact pour l’instant.
contact-add = Ajouter un contact
contact-add-p2p-hint = Identifiant de compte ou nom enregistré
contact-add-sip-hint = Adresse SIP (sip:bob@example.org)
contact-add-address = Adresse du contact
contact-add-name = Nom (facultatif)
contact-add-do = Ajouter
contact-add-cancel = Annuler
contact-page-account = Contact de { $account }
contact-page-address = Adresse
contact-page-devices = Appareils
contact-page-no-devices = Aucun appareil rencontré pour l’instant
contact-unblock = Débloquer
contact-remove = Supprimer le contact
contact-remove-ask = Supprimer { $name } de vos contacts ? La conversation et son historique restent.
contact-details = Détails du contact
recent-none = Aucun appel pour l’instant.
call-back = Rappeler
call-missed-from = Appel manqué de { $peer }
call-ended-with = Appel avec { $peer } terminé
end-reason-ended = Terminé
end-reason-remote-hangup = L’interlocuteur a raccroché
end-reason-connection-lost = Connexion perdue
end-reason-no-media = Aucun son utilisable
end-reason-answered-elsewhere = Répondu sur un autre appareil
end-reason-transferred = Transféré
end-reason-you-declined = Vous avez refusé
end-reason-declined = Refusé
end-reason-busy = Occupé
end-reason-offline = Indisponible (hors ligne)
end-reason-not-found = Introuvable
end-reason-no-answer = Pas de réponse
end-reason-incompatible = Son incompatible
end-reason-unreachable = Adresse injoignable
end-reason-missed = Appel manqué
end-reason-cancelled = Annulé
end-reason-refused = Refusé ({ $code })
incoming-call-to = sur { $account }
chat-today = Aujourd’hui
chat-yesterday = Hier
welcome-ready = Choisissez une conversation à gauche, ou ajoutez un contact pour en commencer une.
welcome-your-id = Les autres vous ajoutent sur { $account } avec cet identifiant :
welcome-copy = Copier
chat-receipt-failed = non envoyé
chat-retry = Réessayer
call-record-answered = Appel, { $duration }
call-record-missed = Appel manqué
call-record-declined = Appel refusé
open-refused = Impossible d’ouvrir ce lien : { $reason }
open-no-sip-account = Aucun compte SIP n’est prêt à appeler { $uri }. Ajoutez-en un ou activez-le.
open-no-p2p-account = Aucun compte pair-à-pair pour ouvrir { $uri }. Créez-en un d’abord.
tray-show = Afficher Ringlet
tray-quit = Quitter
file-attach = Joindre un fichier
file-drop-here = Déposez les fichiers ici pour les envoyer
file-open = Ouvrir
file-show-folder = Afficher dans le dossier
picker-title-send = Choisir un fichier à envoyer
picker-title-play = Choisir un fichier à diffuser dans l’appel
picker-up = ⬆ Remonter
picker-folder = Dossier
picker-empty = Ce dossier est vide.
picker-unreadable = Impossible de lire { $folder } : { $reason }
picker-choose = Choisir…
chat-edit = Modifier
chat-delete = Supprimer pour tous
chat-menu-hint = Clic droit : modifier ou supprimer
chat-editing = Modification de votre message
chat-edit-cancel = Annuler
chat-save = Enregistrer
account-call-elsewhere = En appel avec { $peer } sur { $device }
call-silence = Rendre muet
call-unsilence = Laisser parler
chat-emoji = Émoji
account-register-name = Nom enregistré
account-register-name-hint = 3 à 32 de a-z, 0-9, . _ -
account-register = Enregistrer
account-registered = Enregistré : { $name }
file-picture = Image { $name }

# Problems the engine reports (notices), said in every language.
problem-device-failed = { $device ->
    [microphone] Le microphone
   *[speaker] Le haut-parleur
} { $name } a cessé de fonctionner ; celui par défaut le remplace
problem-no-device = Pas de { $device ->
    [microphone] microphone
   *[speaker] haut-parleur
} pour les appels : { $error }
problem-no-meter = L’indicateur de niveau d’entrée est indisponible : { $error }
problem-no-jack = JACK n’est pas disponible ({ $error }) ; l’audio du système est utilisé
problem-group-invite = { $from } vous a invité dans un groupe ({ $group })
problem-account-offline = Le compte { $account } n’est pas en ligne
problem-no-account = Il n’y a pas de compte { $account }
problem-own-id = C’est l’identifiant de ce compte lui-même
