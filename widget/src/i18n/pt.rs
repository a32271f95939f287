//! Portuguese (Brazilian).

use super::catalog::Catalog;

pub const CATALOG: Catalog = Catalog {
    lang: "pt",

    title: "Fontes de dados conectadas",
    subtitle: "Escolha quais apps e dispositivos compartilham dados com este serviço.",
    loading: "Carregando fontes de dados",

    status_connected: "Conectado",
    status_disconnected: "Não conectado",
    status_expired: "Expirado — reconecte",
    status_disconnecting: "Desconectando…",
    status_finishing: "Finalizando a conexão…",
    status_error: "Erro",
    error_reason: "A última tentativa não funcionou. Reconecte para tentar de novo.",

    connect: "Conectar",
    reconnect: "Reconectar",
    disconnect: "Desconectar",
    connect_on_phone: "Conectar no celular",
    working: "Processando…",
    connect_named: "Conectar {name}",
    reconnect_named: "Reconectar {name}",
    disconnect_named: "Desconectar {name}",
    connect_on_phone_named: "Conectar no celular: {name}",
    phone_hint: "Conecte pelo app no seu celular",

    data_last: "Últimos dados {ago}",
    data_stale: "Nenhum dado novo de {name} há {duration}.",
    hint_open_app: "Abra o app {app} para sincronizar.",
    hint_open_phone_app: "Abra nosso app no celular para que ele possa enviar dados novos.",
    hint_check_syncing: "Verifique se {name} está sincronizando, por exemplo abrindo o app \
                         correspondente.",
    hint_reconnect: "{name} não dá mais acesso aos seus dados. Desconecte e conecte de novo.",
    hint_permissions: "{name} não está compartilhando todos os dados de que este serviço \
                       precisa. Confira as permissões no app.",
    hint_provider_trouble: "{name} está com problemas para enviar dados. Isso deve se resolver \
                            sozinho.",

    notice_connected: "{name} está conectado.",
    notice_disconnected: "{name} foi desconectado.",
    notice_connect_cancelled: "{name} não foi conectado. Você pode tentar de novo quando quiser.",
    notice_disconnect_cancelled: "{name} continua conectado.",
    notice_connect_failed: "Não foi possível conectar {name}. Tente novamente.",
    notice_disconnect_failed: "Não foi possível desconectar {name}. {name} continua conectado.",
    notice_popup_closed: "A janela de {name} foi fechada antes de terminar. Nada foi alterado.",
    notice_disconnect_pending: "{name} está sendo desconectado. Isso pode levar algum tempo.",
    notice_deleted: "{name} foi desconectado. Os dados compartilhados serão excluídos.",
    notice_delete_pending: "{name} está sendo desconectado, e os dados compartilhados serão \
                            excluídos. Isso pode levar algum tempo.",
    notice_connect_finishing: "{name} está sendo conectado. Isso pode levar algum tempo.",
    notice_expired: "É preciso conectar {name} novamente.",

    confirm_title: "Desconectar {name}?",
    confirm_text: "Escolha o que acontece com os dados já compartilhados. Você pode conectar \
                   {name} de novo quando quiser.",
    stop_sharing: "Parar de compartilhar",
    stop_sharing_text: "{name} para de enviar dados novos. O que já foi compartilhado continua \
                        com este serviço.",
    stop_sharing_and_delete: "Parar de compartilhar e excluir meus dados",
    stop_sharing_and_delete_text: "{name} para de enviar dados novos, e os dados já \
                                   compartilhados são excluídos.",
    cancel: "Cancelar",

    purpose_title: "Conectar {name}?",
    purpose_intro: "Para que seus dados do {name} são usados:",
    purpose_next: "Em seguida, o {name} vai pedir que você permita o compartilhamento. Você pode desconectar quando quiser.",
    proceed: "Continuar",

    phone_title: "Conectar {name} no celular",
    phone_text: "Escaneie este código com a câmera do seu celular. Ele abre nosso app, onde você \
                 pode conectar {name}.",
    phone_qr_label: "Código QR que abre o app para conectar {name}",
    phone_link: "Já está no celular? Abra o app",
    close: "Fechar",

    retry: "Tentar novamente",
    error_unreachable: "Não conseguimos acessar o serviço de conexão agora. Verifique sua \
                        conexão com a internet e tente novamente.",
    error_session_ended: "Sua sessão terminou. Recarregue a página para entrar novamente.",
    error_rate_limited: "Muitas tentativas em pouco tempo. Aguarde um momento e tente novamente.",
    error_upstream_unavailable: "O serviço de dados não está respondendo agora. Tente novamente \
                                 em alguns minutos.",
    error_source_expired: "Esta conexão expirou. Reconecte para continuar.",
    error_not_allowed: "Esta página não tem permissão para alterar suas fontes de dados. Entre \
                        em contato com o suporte.",
    error_service: "O serviço de conexão está com um problema. Tente novamente mais tarde ou \
                    entre em contato com o suporte.",
    error_generic: "Algo deu errado. Tente novamente.",
};
