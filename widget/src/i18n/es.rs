//! Spanish.

use super::catalog::Catalog;

pub const CATALOG: Catalog = Catalog {
    lang: "es",

    title: "Fuentes de datos conectadas",
    subtitle: "Elige qué apps y dispositivos comparten datos con este servicio.",
    loading: "Cargando fuentes de datos",

    status_connected: "Conectado",
    status_disconnected: "No conectado",
    status_expired: "Expirado — vuelve a conectar",
    status_disconnecting: "Desconectando…",
    status_finishing: "Finalizando la conexión…",
    status_error: "Error",
    error_reason: "El último intento no funcionó. Vuelve a conectar para intentarlo de nuevo.",

    connect: "Conectar",
    reconnect: "Reconectar",
    disconnect: "Desconectar",
    connect_on_phone: "Conectar en tu teléfono",
    working: "Procesando…",
    connect_named: "Conectar {name}",
    reconnect_named: "Reconectar {name}",
    disconnect_named: "Desconectar {name}",
    connect_on_phone_named: "Conectar en tu teléfono: {name}",
    phone_hint: "Conéctalo desde la app de tu teléfono",

    data_last: "Últimos datos {ago}",
    data_stale: "No llegan datos nuevos de {name} desde hace {duration}.",
    hint_open_app: "Abre la app {app} para sincronizar.",
    hint_open_phone_app: "Abre nuestra app en tu teléfono para que pueda enviar datos nuevos.",
    hint_check_syncing: "Comprueba que {name} esté sincronizando, por ejemplo abriendo su app.",
    hint_reconnect: "{name} ya no da acceso a tus datos. Desconéctalo y vuelve a conectarlo.",
    hint_permissions: "{name} no comparte todos los datos que necesita este servicio. Revisa \
                       los permisos en su app.",
    hint_provider_trouble: "{name} tiene problemas para enviar datos. Debería ponerse al día \
                            por sí solo.",

    notice_connected: "{name} está conectado.",
    notice_disconnected: "{name} está desconectado.",
    notice_connect_cancelled: "{name} no se conectó. Puedes intentarlo de nuevo cuando quieras.",
    notice_disconnect_cancelled: "{name} sigue conectado.",
    notice_connect_failed: "No se pudo conectar {name}. Inténtalo de nuevo.",
    notice_disconnect_failed: "No se pudo desconectar {name}. {name} sigue conectado.",
    notice_popup_closed: "La ventana de {name} se cerró antes de terminar. No se hizo ningún \
                          cambio.",
    notice_disconnect_pending: "Se está desconectando {name}. Esto puede tardar un poco.",
    notice_deleted: "{name} está desconectado. Se eliminarán los datos que compartió.",
    notice_delete_pending: "Se está desconectando {name} y se eliminarán los datos que \
                            compartió. Esto puede tardar un poco.",
    notice_connect_finishing: "Se está conectando {name}. Esto puede tardar un poco.",
    notice_expired: "Hay que volver a conectar {name}.",

    confirm_title: "¿Desconectar {name}?",
    confirm_text: "Elige qué pasa con los datos ya compartidos. Puedes volver a conectar \
                   {name} cuando quieras.",
    stop_sharing: "Dejar de compartir",
    stop_sharing_text: "{name} deja de enviar datos nuevos. Lo que ya compartió se queda en \
                        este servicio.",
    stop_sharing_and_delete: "Dejar de compartir y eliminar mis datos",
    stop_sharing_and_delete_text: "{name} deja de enviar datos nuevos y se eliminan los datos \
                                   que ya compartió.",
    cancel: "Cancelar",

    purpose_title: "¿Conectar {name}?",
    purpose_intro: "Para qué se usan tus datos de {name}:",
    purpose_next: "Después, {name} te pedirá que permitas compartirlos. Puedes desconectar cuando quieras.",
    proceed: "Continuar",

    phone_title: "Conectar {name} en tu teléfono",
    phone_text: "Escanea este código con la cámara de tu teléfono. Se abrirá nuestra app, donde \
                 podrás conectar {name}.",
    phone_qr_label: "Código QR que abre la app para conectar {name}",
    phone_link: "¿Ya estás en tu teléfono? Abre la app",
    close: "Cerrar",

    retry: "Reintentar",
    error_unreachable: "No podemos comunicarnos con el servicio de conexión en este momento. \
                        Comprueba tu conexión a internet e inténtalo de nuevo.",
    error_session_ended: "Tu sesión ha finalizado. Recarga la página para volver a iniciar \
                          sesión.",
    error_rate_limited: "Demasiados intentos en poco tiempo. Espera un momento e inténtalo de \
                         nuevo.",
    error_upstream_unavailable: "El servicio de datos no responde en este momento. Inténtalo de \
                                 nuevo en unos minutos.",
    error_source_expired: "Esta conexión ha expirado. Vuelve a conectarla para continuar.",
    error_not_allowed: "Esta página no tiene permiso para cambiar tus fuentes de datos. Ponte en \
                        contacto con el soporte técnico.",
    error_service: "El servicio de conexión tiene un problema. Inténtalo de nuevo más tarde o \
                    ponte en contacto con el soporte técnico.",
    error_generic: "Algo salió mal. Inténtalo de nuevo.",
};
