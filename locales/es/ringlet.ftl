# Ringlet, español.

app-name = Ringlet
app-tagline = Un softphone y mensajero libre y descentralizado

## Sidebar
sidebar-accounts = Cuentas
sidebar-contacts = Contactos
sidebar-conversations = Conversaciones
sidebar-search-hint = Buscar contactos y mensajes
sidebar-no-accounts = Todavía no hay ninguna cuenta.
sidebar-no-contacts = Todavía no hay contactos.
contact-call = Llamar
sidebar-no-conversations = Todavía no hay conversaciones.
sidebar-add-account = Añadir cuenta
sidebar-settings = Ajustes
sidebar-about = Acerca de
sidebar-no-match = Nada coincide con «{ $query }».

## Accounts
account-kind-sip = SIP
account-kind-p2p = Entre pares
account-disabled = desactivada
account-auto-answer = Respuesta automática
registration-offline = Desconectada
registration-trying = Conectando…
registration-registered = En línea
registration-failed = Error: { $reason }
account-id = ID de la cuenta
account-name = Nombre
account-rename = Cambiar nombre
account-enabled = Activada
account-delete = Eliminar cuenta
account-delete-confirm = ¿Eliminar «{ $name }» y todos sus datos? No se puede deshacer.
account-delete-yes = Eliminar
account-export = Exportar archivo de cuenta
account-export-path = Guardar el archivo como
account-export-passphrase = Frase de contraseña del archivo
account-export-done = Archivo guardado en { $path }
account-devices = Dispositivos
account-this-device = este dispositivo
account-sip-address = Dirección SIP
account-registrar = Servidor de registro
account-none = ninguno

## Account wizard
wizard-title = Añadir una cuenta
wizard-choose = ¿Qué tipo de cuenta quiere?
wizard-create-p2p = Crear una cuenta entre pares
wizard-create-p2p-help = Una identidad que no necesita ningún servidor: un par de claves guardado en este dispositivo.
wizard-import = Importar un archivo de cuenta
wizard-import-help = Añada este dispositivo a una cuenta que ya tiene, con un archivo exportado desde otro dispositivo.
wizard-add-sip = Añadir una cuenta SIP
wizard-add-sip-help = Use una cuenta de un proveedor SIP o de una centralita como Asterisk o Kamailio.
wizard-display-name = Nombre visible
wizard-device-name = Nombre del dispositivo
wizard-archive-file = Archivo de cuenta
wizard-passphrase = Frase de contraseña
wizard-sip-aor = Dirección SIP
wizard-sip-registrar = Servidor de registro (opcional)
wizard-sip-username = Nombre de usuario (opcional)
wizard-sip-password = Contraseña
wizard-sip-transport = Transporte
sip-settings = Ajustes SIP
sip-new-password = Contraseña nueva
sip-password-unchanged = sin cambios
sip-listen = Dirección de escucha
sip-listen-hint = IP:PUERTO, p. ej. 0.0.0.0:5060 para llamadas directas
sip-listen-invalid = La dirección de escucha debe ser IP:PUERTO, p. ej. 0.0.0.0:5060.
sip-expires-invalid = El intervalo de registro debe ser un número de segundos.
sip-codecs-none = Marque al menos un códec.
sip-advanced = Ajustes avanzados
sip-outbound-proxy = Proxy de salida
sip-stun = Servidor STUN
sip-srtp = Cifrado (SRTP)
sip-srtp-off = Desactivado
sip-srtp-optional = Si el otro lado puede
sip-srtp-mandatory = Siempre (rechazar llamadas sin cifrar)
sip-codecs = Códecs, en orden
sip-codec-up = Subir
sip-codec-down = Bajar
sip-dtmf = DTMF
sip-dtmf-inband = En el audio
sip-expires = Intervalo de registro (s)
sip-voicemail = Vigilar el buzón de voz
sip-auto-answer = Responder al instante
sip-tls-ca = Certificados CA adicionales (PEM)
sip-save = Guardar
sip-revert = Deshacer
sip-saved = Guardado; la cuenta se registra de nuevo.
wizard-create = Crear cuenta
wizard-import-button = Importar
wizard-add = Añadir cuenta
wizard-back = Atrás
wizard-cancel = Cancelar
wizard-name-required = Escriba un nombre.
wizard-path-required = Escriba la ruta del archivo de cuenta.
wizard-aor-invalid = Escriba una dirección como sip:alice@example.org.
wizard-busy = Procesando…

## Settings
settings-title = Ajustes
settings-language = Idioma
settings-theme = Tema
settings-theme-dark = Oscuro
settings-theme-light = Claro
settings-audio = Audio
settings-audio-input = Micrófono
settings-audio-output = Altavoz
settings-audio-default = Predeterminado del sistema
settings-input-level = Nivel de entrada
settings-refresh-devices = Buscar dispositivos de nuevo
settings-no-devices = No se encontraron dispositivos de audio.
settings-ringtone = Tono de llamada
settings-ringtone-default = Tono integrado
settings-ringtone-path = Archivo de tono
settings-apply = Aplicar
settings-close = Cerrar

## About
about-title = Acerca de Ringlet
about-version = Versión { $version }
about-license = Software libre bajo la Licencia Pública General de GNU, versión 3 o posterior.
about-data-dir = Carpeta de datos: { $path }
about-close = Cerrar

## Main area
welcome-title = Bienvenido a Ringlet
welcome-body = Cree una cuenta entre pares para comunicarse sin ningún servidor, o añada una cuenta SIP para llamar a cualquier teléfono.
error-title = Algo salió mal
error-dismiss = Cerrar

## Calls
calls-title = Llamadas
call-answer = Contestar
call-reject = Rechazar
call-hangup = Colgar
call-state-incoming = Llamada entrante
call-state-outgoing = Llamando…
call-state-active = En llamada
call-state-held = En espera
dial-hint = sip:nombre@host
dial-button = Llamar

# Calls in progress, incoming calls and chat
call-hold = Retener
call-resume = Reanudar
call-held-remotely = Retenida por la otra parte
call-keypad = Teclado
call-transfer = Transferir
call-transfer-hint = sip:alguien@example.org
call-transfer-to-call = Conectar con { $peer }
call-transfer-progress = Transferencia: { $code }
call-dtmf-received = Dígitos recibidos: { $digits }
call-dtmf-sent = Dígitos enviados: { $digits }
call-show = Ver llamada
call-path = Cifrado de extremo a extremo · { $path }
incoming-call-title = Llamada entrante
incoming-call-from = { $peer } está llamando
chat-send = Enviar
chat-hint = Escribe un mensaje
chat-empty = Todavía no hay mensajes.
dial-message = Mensaje
voicemail-count = { $new } mensajes de voz nuevos y { $old } antiguos

# Call audio
call-volume = Volumen
call-mute = Silenciar
call-unmute = Activar sonido
call-record = Grabar
call-record-stop = Detener grabación
call-recording = Grabando
call-play-file = Reproducir un archivo
call-play-path = Archivo de audio (FLAC, Ogg, MP3, WAV)
call-play = Reproducir
call-play-stop = Detener el archivo
call-merge = Unir llamadas
call-in-conference = En conferencia
call-statistics = Estadísticas
call-srtp-on = SRTP
call-srtp-off = sin cifrar
call-figures = pérdida { $loss } % · jitter { $jitter } ms · RTT { $rtt } ms · ↑{ $up } ↓{ $down } kbit/s
call-level-sent = Enviado
call-level-heard = Oído
call-plot-loss = pérdida %
call-plot-jitter = jitter ms
call-plot-rtt = RTT ms
settings-echo-cancellation = Cancelación de eco
settings-noise-suppression = Supresión de ruido
settings-gain-control = Control automático de ganancia
sidebar-requests = Solicitudes de contacto
request-accept = Aceptar
request-decline = Rechazar
request-block = Bloquear
contact-requested = solicitud enviada
contact-blocked = bloqueado

# Files in P2P conversations
file-send = Enviar archivo
file-accept = Aceptar
file-decline = Rechazar
file-state-offered = Ofrecido
file-state-accepted = Recibiendo
file-state-done = Completado
file-state-declined = Rechazado
file-state-failed = Fallido
file-files = Archivos
file-resumed = reanudado al { $percent } %
chat-typing = { $who } está escribiendo…
settings-open-urls = Abrir los enlaces recibidos en el chat
settings-do-not-disturb = 🔕 No molestar
account-revoke = Revocar
account-revoke-yes = Revocar para siempre
account-share = Compartir
account-share-hint = Escanea para añadir esta cuenta como contacto.
chat-receipt-delivered = entregado
chat-receipt-read = leído
chat-search-hint = Buscar en esta conversación
chat-searching = Buscando…
chat-search-none = No se encontró nada.
chat-search-found = { $count ->
    [one] Un mensaje encontrado
   *[other] { $count } mensajes encontrados
}
chat-deleted = (eliminado)
account-device-rename-hint = Nuevo nombre de este dispositivo
account-device-rename = Renombrar dispositivo
account-link = Nuevo dispositivo
account-link-button = Vincular un dispositivo nuevo con un PIN
account-link-pin-hint = En el dispositivo nuevo elige «Unirse con un PIN» y escribe este PIN. Vale 10 minutos.
account-stun = Servidores STUN
account-stun-hint = stun.example.org:3478, …
account-stun-help = Las llamadas les piden la dirección pública de este dispositivo, además de los nodos de arranque.
account-stun-wrong = { $server } no es una dirección de servidor (HOST:PUERTO o HOST).
wizard-link = Unirse con un PIN
wizard-link-help = Añade este dispositivo a una cuenta que ya tienes: pide un PIN en un dispositivo de esa cuenta y escríbelo aquí.
wizard-pin = PIN
wizard-pin-required = Escribe el PIN que muestra tu otro dispositivo.
wizard-link-button = Unirse
wizard-link-looking = Buscando la cuenta ofrecida con este PIN…
groups-you = tú
groups-title = Grupos
groups-none = Aún no hay grupos.
groups-invited = invitado
groups-join = Unirse
groups-leave = Salir
groups-admin = administrador
groups-not-joined = aún no se ha unido
groups-remove = Quitar
groups-choose = Elige un contacto
groups-add = Añadir
groups-new-title = Título de un grupo nuevo
groups-create = Crear grupo
groups-no-contacts = Los contactos confirmados pueden entrar en un grupo.

# The conversation-centred window (session 10)
sidebar-calls = Llamadas
sidebar-typing = escribiendo…
sidebar-found-messages = Mensajes
contact-declined = rechazado
presence-online = En línea
presence-offline = Desconectado
contact-message = Mensaje
contact-no-conversation = Aún no hay conversación con este contacto.
contact-add = Añadir contacto
contact-add-p2p-hint = ID de cuenta o nombre registrado
contact-add-sip-hint = Dirección SIP (sip:bob@example.org)
contact-add-address = Dirección del contacto
contact-add-name = Nombre (opcional)
contact-add-do = Añadir
contact-add-cancel = Cancelar
contact-page-account = Contacto de { $account }
contact-page-address = Dirección
contact-page-devices = Dispositivos
contact-page-no-devices = Aún no se ha visto ningún dispositivo
contact-unblock = Desbloquear
contact-remove = Eliminar contacto
contact-remove-ask = ¿Eliminar a { $name } de tus contactos? La conversación y su historial se conservan.
contact-details = Detalles del contacto
recent-none = Aún no hay llamadas.
call-back = Devolver llamada
call-missed-from = Llamada perdida de { $peer }
call-ended-with = Llamada con { $peer } finalizada
end-reason-ended = Finalizada
end-reason-remote-hangup = La otra parte colgó
end-reason-connection-lost = Conexión perdida
end-reason-no-media = Sin audio utilizable
end-reason-answered-elsewhere = Contestada en otro dispositivo
end-reason-transferred = Transferida
end-reason-you-declined = La rechazaste
end-reason-declined = Rechazada
end-reason-busy = Ocupado
end-reason-offline = No disponible (desconectado)
end-reason-not-found = No encontrado
end-reason-no-answer = Sin respuesta
end-reason-incompatible = Audio incompatible
end-reason-unreachable = No se pudo alcanzar la dirección
end-reason-missed = Llamada perdida
end-reason-cancelled = Cancelada
end-reason-refused = Rechazada ({ $code })
incoming-call-to = en { $account }
chat-today = Hoy
chat-yesterday = Ayer
welcome-ready = Elige una conversación a la izquierda o añade un contacto para empezar una.
welcome-your-id = Otros te añaden en { $account } con este ID:
welcome-copy = Copiar
chat-receipt-failed = no enviado
chat-retry = Reintentar
call-record-answered = Llamada, { $duration }
call-record-missed = Llamada perdida
call-record-declined = Llamada rechazada
open-refused = No se puede abrir este enlace: { $reason }
open-no-sip-account = Ninguna cuenta SIP está lista para llamar a { $uri }. Añada una o actívela.
open-no-p2p-account = Ninguna cuenta entre pares para abrir { $uri }. Cree una primero.
tray-show = Mostrar Ringlet
tray-quit = Salir
file-attach = Adjuntar un archivo
file-drop-here = Suelte los archivos aquí para enviarlos
file-open = Abrir
file-show-folder = Mostrar en la carpeta
picker-title-send = Elija un archivo para enviar
picker-title-play = Elija un archivo para reproducir en la llamada
picker-up = ⬆ Subir
picker-folder = Carpeta
picker-empty = Esta carpeta está vacía.
picker-unreadable = No se puede leer { $folder }: { $reason }
picker-choose = Elegir…
chat-edit = Editar
chat-delete = Eliminar para todos
chat-menu-hint = Clic derecho: editar o eliminar
chat-editing = Editando tu mensaje
chat-edit-cancel = Cancelar
chat-save = Guardar
account-call-elsewhere = En llamada con { $peer } en { $device }
call-silence = Silenciar participante
call-unsilence = Dejar hablar
chat-emoji = Emoji
account-register-name = Nombre registrado
account-register-name-hint = 3–32 de a-z, 0-9, . _ -
account-register = Registrar
account-registered = Registrado: { $name }
file-picture = Imagen { $name }

# Problems the engine reports (notices), said in every language.
problem-device-failed = { $device ->
    [microphone] El micrófono
   *[speaker] El altavoz
} { $name } falló; se usa el predeterminado
problem-no-device = No hay { $device ->
    [microphone] micrófono
   *[speaker] altavoz
} para las llamadas: { $error }
problem-no-meter = El medidor de nivel de entrada no está disponible: { $error }
problem-no-jack = JACK no está disponible ({ $error }); se usa el audio del sistema
problem-group-invite = { $from } te invitó a un grupo ({ $group })
problem-account-offline = La cuenta { $account } no está en línea
problem-no-account = No existe la cuenta { $account }
problem-own-id = Ese es el id de esta misma cuenta
