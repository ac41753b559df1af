using System;

namespace Playerbase
{
    /// <summary>
    /// A player as the server shows it. <see cref="email"/> is only filled in
    /// on the player's own view (<c>GetMeAsync</c>, <c>UpdateMeAsync</c>).
    /// Field names are the JSON keys, so Unity's JsonUtility reads them as they are.
    /// </summary>
    [Serializable]
    public class Player
    {
        public long id;
        public string username;
        /// <summary>RFC 3339, UTC.</summary>
        public string created_at;
        /// <summary>The linked Twitch account; see <see cref="HasTwitch"/>.</summary>
        public TwitchAccount twitch;
        public Stats stats;
        public Levels levels;
        /// <summary>Private: only in the player's own view; null or empty otherwise.</summary>
        public string email;

        /// <summary>
        /// Whether a Twitch account is linked. JsonUtility never leaves a
        /// nested object null, so test this rather than <c>twitch != null</c>.
        /// </summary>
        public bool HasTwitch
        {
            get { return twitch != null && !string.IsNullOrEmpty(twitch.user_id); }
        }
    }

    [Serializable]
    public class TwitchAccount
    {
        /// <summary>The Twitch identity; never changes.</summary>
        public string user_id;
        /// <summary>The current Twitch login; may change.</summary>
        public string login;
    }

    /// <summary>The server's answer to a login or a refresh.</summary>
    [Serializable]
    public class TokenPair
    {
        public string access_token;
        public string token_type;
        public int expires_in;
        public string refresh_token;
    }
}
