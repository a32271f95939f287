//! French.

use super::catalog::Catalog;

pub const CATALOG: Catalog = Catalog {
    lang: "fr",

    title: "Sources de données connectées",
    subtitle: "Choisissez les applications et appareils qui partagent des données avec ce \
               service.",
    loading: "Chargement des sources de données",

    status_connected: "Connecté",
    status_disconnected: "Non connecté",
    status_expired: "Expiré — à reconnecter",
    status_disconnecting: "Déconnexion…",
    status_finishing: "Finalisation de la connexion…",
    status_error: "Erreur",
    error_reason: "La dernière tentative a échoué. Reconnectez la source pour réessayer.",

    connect: "Connecter",
    reconnect: "Reconnecter",
    disconnect: "Déconnecter",
    connect_on_phone: "Connecter sur votre téléphone",
    working: "En cours…",
    connect_named: "Connecter {name}",
    reconnect_named: "Reconnecter {name}",
    disconnect_named: "Déconnecter {name}",
    connect_on_phone_named: "Connecter sur votre téléphone : {name}",
    phone_hint: "À connecter dans l'application sur votre téléphone",

    data_last: "Dernières données {ago}",
    data_stale: "Aucune nouvelle donnée de {name} depuis {duration}.",
    hint_open_app: "Ouvrez l'application {app} pour synchroniser.",
    hint_open_phone_app: "Ouvrez notre application sur votre téléphone pour qu'elle puisse \
                          envoyer de nouvelles données.",
    hint_check_syncing: "Vérifiez que {name} se synchronise, par exemple en ouvrant son \
                         application.",
    hint_reconnect: "{name} ne donne plus accès à vos données. Déconnectez-le puis \
                     reconnectez-le.",
    hint_permissions: "{name} ne partage pas toutes les données dont ce service a besoin. \
                       Vérifiez les autorisations dans son application.",
    hint_provider_trouble: "{name} a des difficultés à envoyer des données. Cela devrait se \
                            rétablir de lui-même.",

    notice_connected: "{name} est connecté.",
    notice_disconnected: "{name} est déconnecté.",
    notice_connect_cancelled: "{name} n'a pas été connecté. Vous pouvez réessayer à tout moment.",
    notice_disconnect_cancelled: "{name} est toujours connecté.",
    notice_connect_failed: "La connexion de {name} a échoué. Veuillez réessayer.",
    notice_disconnect_failed: "La déconnexion de {name} a échoué. {name} est toujours connecté.",
    notice_popup_closed: "La fenêtre {name} a été fermée avant la fin. Aucune modification n'a \
                          été effectuée.",
    notice_disconnect_pending: "Déconnexion de {name} en cours. Cela peut prendre un moment.",
    notice_deleted: "{name} est déconnecté. Les données partagées seront supprimées.",
    notice_delete_pending: "Déconnexion de {name} en cours. Cela peut prendre un moment. Les \
                            données partagées seront supprimées.",
    notice_connect_finishing: "Connexion de {name} en cours. Cela peut prendre un moment.",
    notice_expired: "{name} doit être reconnecté.",

    confirm_title: "Déconnecter {name} ?",
    confirm_text: "Choisissez ce que deviennent les données déjà partagées. Vous pouvez \
                   reconnecter {name} à tout moment.",
    stop_sharing: "Arrêter le partage",
    stop_sharing_text: "{name} n'envoie plus de nouvelles données. Les données déjà \
                        partagées sont conservées par ce service.",
    stop_sharing_and_delete: "Arrêter le partage et supprimer mes données",
    stop_sharing_and_delete_text: "{name} n'envoie plus de nouvelles données, et les données \
                                   déjà partagées sont supprimées.",
    cancel: "Annuler",

    purpose_title: "Connecter {name} ?",
    purpose_intro: "À quoi servent vos données {name} :",
    purpose_next: "Ensuite, {name} vous demandera d'autoriser le partage. Vous pouvez vous déconnecter à tout moment.",
    proceed: "Continuer",

    phone_title: "Connecter {name} sur votre téléphone",
    phone_text: "Scannez ce code avec l'appareil photo de votre téléphone. Il ouvre notre \
                 application, où vous pourrez connecter {name}.",
    phone_qr_label: "Code QR qui ouvre l'application pour connecter {name}",
    phone_link: "Déjà sur votre téléphone ? Ouvrez l'application",
    close: "Fermer",

    retry: "Réessayer",
    error_unreachable: "Impossible de joindre le service de connexion pour le moment. Vérifiez \
                        votre connexion Internet et réessayez.",
    error_session_ended: "Votre session a pris fin. Rechargez la page pour vous reconnecter.",
    error_rate_limited: "Trop de tentatives en peu de temps. Patientez un instant, puis \
                         réessayez.",
    error_upstream_unavailable: "Le service de données ne répond pas pour le moment. Veuillez \
                                 réessayer dans quelques minutes.",
    error_source_expired: "Cette connexion a expiré. Reconnectez-la pour continuer.",
    error_not_allowed: "Cette page n'est pas autorisée à modifier vos sources de données. \
                        Veuillez contacter l'assistance.",
    error_service: "Le service de connexion rencontre un problème. Veuillez réessayer plus tard \
                    ou contacter l'assistance.",
    error_generic: "Une erreur s'est produite. Veuillez réessayer.",
};
