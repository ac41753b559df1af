using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace Playerbase
{
    /// <summary>
    /// The client a game ships to players: sign-up, login (tokens kept and
    /// refreshed by the client), profiles, the player's own account,
    /// leaderboards and live award events. It holds no API key; awards come
    /// from <see cref="PlayerbaseGameServer"/>.
    /// </summary>
    public class PlayerbaseClient
    {
        public readonly ApiCaller Api;

        /// <summary>The logged-in player's tokens, or null.</summary>
        public Session Session { get; private set; }

        /// <summary>Raised on login, on each refresh, and with null on logout or when the session ends.</summary>
        public event Action<Session> SessionChanged;

        /// <summary>The clock the access token's expiry is judged by (UTC); replaceable in tests.</summary>
        public Func<DateTime> Clock = () => DateTime.UtcNow;

        private Task<Session> refreshing;
        private readonly object refreshLock = new object();

        /// <param name="baseUrl">e.g. <c>https://players.example.com</c></param>
        /// <param name="transport">null: UnityWebRequest in Unity, HttpClient elsewhere</param>
        /// <param name="json">null: JsonUtility in Unity, <see cref="FieldJsonParser"/> elsewhere</param>
        public PlayerbaseClient(string baseUrl, IHttpTransport transport = null, IJsonParser json = null)
        {
            Api = new ApiCaller(baseUrl, transport, json);
        }

        // ---- Players

        /// <summary>Signs a player up. 409 <c>username_taken</c> / <c>email_taken</c>; 400 for invalid fields.</summary>
        public Task<Player> CreatePlayerAsync(string username, string password, string email = null, CancellationToken cancel = default(CancellationToken))
        {
            var body = new JsonObject().String("username", username).String("password", password).String("email", email).ToString();
            return Api.SendAsync<Player>(() => new HttpRequest("POST", Api.Url("/api/v1/players"), body), false, cancel);
        }

        public Task<Player> GetPlayerAsync(long id, CancellationToken cancel = default(CancellationToken))
        {
            return Get<Player>("/api/v1/players/" + id.ToString(CultureInfo.InvariantCulture), cancel);
        }

        /// <summary>By username, ignoring case.</summary>
        public Task<Player> GetPlayerByNameAsync(string username, CancellationToken cancel = default(CancellationToken))
        {
            if (string.IsNullOrEmpty(username)) throw new ArgumentException("a username is needed", "username");
            return Get<Player>("/api/v1/players/by-name/" + ApiCaller.Escape(username), cancel);
        }

        /// <summary>By linked Twitch user id (the number, not the login).</summary>
        public Task<Player> GetPlayerByTwitchAsync(string twitchUserId, CancellationToken cancel = default(CancellationToken))
        {
            if (string.IsNullOrEmpty(twitchUserId)) throw new ArgumentException("a Twitch user id is needed", "twitchUserId");
            return Get<Player>("/api/v1/players/by-twitch/" + ApiCaller.Escape(twitchUserId), cancel);
        }

        /// <summary>A player's award ledger, newest first; pass <see cref="AwardHistory.next"/> as <paramref name="before"/> for the next page.</summary>
        public Task<AwardHistory> GetAwardHistoryAsync(long playerId, int limit = 50, long before = 0, CancellationToken cancel = default(CancellationToken))
        {
            var path = "/api/v1/players/" + playerId.ToString(CultureInfo.InvariantCulture) + "/awards?limit=" + limit.ToString(CultureInfo.InvariantCulture);
            if (before > 0) path += "&before=" + before.ToString(CultureInfo.InvariantCulture);
            return Get<AwardHistory>(path, cancel);
        }

        /// <summary>The configured stats, with their bounds and level curves.</summary>
        public async Task<StatCatalog> GetStatsAsync(CancellationToken cancel = default(CancellationToken))
        {
            var response = await Api.SendAsync(() => new HttpRequest("GET", Api.Url("/api/v1/stats"), null), true, cancel);
            return StatCatalog.Parse(response.Body, Api.Json);
        }

        // ---- Leaderboards

        /// <summary>The top of a stat's board. <paramref name="period"/>: see <see cref="Periods"/>.</summary>
        public Task<Leaderboard> GetLeaderboardAsync(string stat, int limit = 10, long offset = 0, string period = Periods.All, CancellationToken cancel = default(CancellationToken))
        {
            return Get<Leaderboard>("/api/v1/leaderboards/" + ApiCaller.Escape(stat) + "?limit=" + limit.ToString(CultureInfo.InvariantCulture)
                + "&offset=" + offset.ToString(CultureInfo.InvariantCulture) + "&period=" + ApiCaller.Escape(period), cancel);
        }

        /// <summary>A player's rank and up to <paramref name="radius"/> neighbours each side; 404 <c>not_ranked</c> when not on the board.</summary>
        public Task<PlayerRank> GetRankAsync(string stat, long playerId, int radius = 5, string period = Periods.All, CancellationToken cancel = default(CancellationToken))
        {
            return Get<PlayerRank>("/api/v1/leaderboards/" + ApiCaller.Escape(stat) + "/players/" + playerId.ToString(CultureInfo.InvariantCulture)
                + "?radius=" + radius.ToString(CultureInfo.InvariantCulture) + "&period=" + ApiCaller.Escape(period), cancel);
        }

        // ---- Live events

        /// <summary>
        /// Follows <c>/api/v1/events</c>, reconnecting by itself and asking
        /// for what it missed. Dispose the subscription to stop.
        /// </summary>
        public EventSubscription SubscribeToEvents(Action<AwardEvent> onAward, Action<LaggedEvent> onLagged = null, Action<Exception> onError = null, long lastEventId = 0)
        {
            return EventSubscription.Start(Api, onAward, onLagged, onError, lastEventId);
        }

        // ---- Sessions

        /// <summary>Logs in and keeps the tokens. 401 for a wrong username or password.</summary>
        public async Task<Session> LoginAsync(string username, string password, CancellationToken cancel = default(CancellationToken))
        {
            var body = new JsonObject().String("username", username).String("password", password).ToString();
            var pair = await Api.SendAsync<TokenPair>(() => new HttpRequest("POST", Api.Url("/api/v1/auth/login"), body), false, cancel);
            return Keep(pair);
        }

        /// <summary>Resumes a session from a refresh token kept from an earlier run.</summary>
        public Task<Session> ResumeAsync(string refreshToken, CancellationToken cancel = default(CancellationToken))
        {
            Session = new Session(null, refreshToken, DateTime.MinValue);
            return RefreshAsync(cancel);
        }

        /// <summary>
        /// Trades the refresh token for a new pair. Callers rarely need this:
        /// the client refreshes before the access token expires and on a 401.
        /// Concurrent callers share one refresh, since a refresh token works once.
        /// <paramref name="cancel"/> stops this caller's wait, not the refresh:
        /// a refresh the server has made must be read, or the client would keep
        /// the spent token, and presenting it again ends the session.
        /// </summary>
        public Task<Session> RefreshAsync(CancellationToken cancel = default(CancellationToken))
        {
            Task<Session> shared;
            lock (refreshLock)
            {
                if (refreshing == null || refreshing.IsCompleted)
                    refreshing = Refresh(CancellationToken.None);
                shared = refreshing;
            }
            return WaitFor(shared, cancel);
        }

        /// <summary><paramref name="task"/>'s result, or a cancellation when <paramref name="cancel"/> fires first.</summary>
        private static async Task<T> WaitFor<T>(Task<T> task, CancellationToken cancel)
        {
            if (!cancel.CanBeCanceled) return await task;
            var cancelled = new TaskCompletionSource<bool>();
            using (cancel.Register(() => cancelled.TrySetResult(true)))
            {
                if (await Task.WhenAny(task, cancelled.Task) != task) cancel.ThrowIfCancellationRequested();
            }
            return await task;
        }

        private async Task<Session> Refresh(CancellationToken cancel)
        {
            var current = Session;
            if (current == null) throw NotLoggedIn();
            var body = new JsonObject().String("refresh_token", current.RefreshToken).ToString();
            try
            {
                var pair = await Api.SendAsync<TokenPair>(() => new HttpRequest("POST", Api.Url("/api/v1/auth/refresh"), body), false, cancel);
                return Keep(pair);
            }
            catch (PlayerbaseException e)
            {
                if (e.Status == 401) Forget(); // spent or expired: the player must log in again
                throw;
            }
        }

        /// <summary>Ends the session on the server and forgets it here.</summary>
        public async Task LogoutAsync(CancellationToken cancel = default(CancellationToken))
        {
            if (Session == null) return;
            try
            {
                await SendAsPlayer("POST", "/api/v1/auth/logout", null, cancel);
            }
            finally
            {
                Forget();
            }
        }

        // ---- The player's own account

        /// <summary>The logged-in player, with email.</summary>
        public async Task<Player> GetMeAsync(CancellationToken cancel = default(CancellationToken))
        {
            return Api.Json.Parse<Player>((await SendAsPlayer("GET", "/api/v1/me", null, cancel)).Body);
        }

        /// <summary>
        /// Changes the email and/or password (null leaves either as it is).
        /// 401 <c>wrong_password</c> when <paramref name="currentPassword"/> is wrong. A new password
        /// ends the player's other sessions; this one stays.
        /// </summary>
        public async Task<Player> UpdateMeAsync(string currentPassword, string newEmail = null, string newPassword = null, CancellationToken cancel = default(CancellationToken))
        {
            var body = new JsonObject().String("current_password", currentPassword).String("email", newEmail).String("new_password", newPassword).ToString();
            return Api.Json.Parse<Player>((await SendAsPlayer("PATCH", "/api/v1/me", body, cancel)).Body);
        }

        /// <summary>
        /// Removes the player's email (the account stays). 401 <c>wrong_password</c> when
        /// <paramref name="currentPassword"/> is wrong.
        /// </summary>
        public async Task<Player> RemoveEmailAsync(string currentPassword, CancellationToken cancel = default(CancellationToken))
        {
            var body = new JsonObject().String("current_password", currentPassword).Bool("remove_email", true).ToString();
            return Api.Json.Parse<Player>((await SendAsPlayer("PATCH", "/api/v1/me", body, cancel)).Body);
        }

        /// <summary>Deletes the account and its personal data for good, and forgets the session.</summary>
        public async Task DeleteMeAsync(string currentPassword, CancellationToken cancel = default(CancellationToken))
        {
            var body = new JsonObject().String("current_password", currentPassword).ToString();
            await SendAsPlayer("DELETE", "/api/v1/me", body, cancel);
            Forget();
        }

        // ---- Plumbing

        private Task<T> Get<T>(string path, CancellationToken cancel) where T : new()
        {
            return Api.SendAsync<T>(() => new HttpRequest("GET", Api.Url(path), null), true, cancel);
        }

        /// <summary>
        /// Sends with the access token: refreshed first when it is about to
        /// expire, and once more after a 401 (the clocks may disagree, or the
        /// server may have ended the token early).
        /// </summary>
        private async Task<HttpResponse> SendAsPlayer(string method, string path, string body, CancellationToken cancel)
        {
            if (Session == null) throw NotLoggedIn();
            if (AboutToExpire(Session)) await RefreshAsync(cancel);
            bool safe = method == "GET";
            var refused = Session;
            try
            {
                return await Api.SendAsync(() => Authorized(method, path, body), safe, cancel);
            }
            catch (PlayerbaseException e)
            {
                // wrong_password: the token is fine, the password sent to confirm a change is not.
                if (e.Status != 401 || e.Code == "wrong_password" || Session == null) throw;
            }
            // A concurrent request may have refreshed meanwhile; then its tokens are the new ones.
            if (ReferenceEquals(Session, refused)) await RefreshAsync(cancel);
            return await Api.SendAsync(() => Authorized(method, path, body), safe, cancel);
        }

        private HttpRequest Authorized(string method, string path, string body)
        {
            var request = new HttpRequest(method, Api.Url(path), body);
            var session = Session;
            if (session == null) throw NotLoggedIn();
            request.Headers["Authorization"] = "Bearer " + session.AccessToken;
            return request;
        }

        /// <summary>Refresh a little early: a quarter of the token's life, at most 30 s.</summary>
        private bool AboutToExpire(Session session)
        {
            return session.AccessToken == null || Clock() >= session.AccessExpiresAt - margin;
        }

        private TimeSpan margin = TimeSpan.Zero;

        private Session Keep(TokenPair pair)
        {
            var life = TimeSpan.FromSeconds(pair.expires_in);
            margin = TimeSpan.FromTicks(Math.Min(life.Ticks / 4, TimeSpan.FromSeconds(30).Ticks));
            Session = new Session(pair.access_token, pair.refresh_token, Clock() + life);
            var changed = SessionChanged;
            if (changed != null) changed(Session);
            return Session;
        }

        private void Forget()
        {
            if (Session == null) return;
            Session = null;
            var changed = SessionChanged;
            if (changed != null) changed(null);
        }

        private static PlayerbaseException NotLoggedIn()
        {
            return new PlayerbaseException(401, "not_logged_in", "log in first (LoginAsync or ResumeAsync)", TimeSpan.Zero);
        }
    }
}
