using System;

namespace Playerbase
{
    /// <summary>
    /// A logged-in player's tokens. The client refreshes them by itself;
    /// keep <see cref="RefreshToken"/> (e.g. in PlayerPrefs, from
    /// <c>PlayerbaseClient.SessionChanged</c>) to stay logged in across runs.
    /// </summary>
    public sealed class Session
    {
        public readonly string AccessToken;
        public readonly string RefreshToken;
        /// <summary>When the access token stops working, by the client's clock (UTC).</summary>
        public readonly DateTime AccessExpiresAt;

        public Session(string accessToken, string refreshToken, DateTime accessExpiresAt)
        {
            AccessToken = accessToken;
            RefreshToken = refreshToken;
            AccessExpiresAt = accessExpiresAt;
        }
    }
}
