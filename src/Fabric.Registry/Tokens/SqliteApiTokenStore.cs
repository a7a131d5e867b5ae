using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Fabric.Registry.Sqlite;
using Microsoft.Data.Sqlite;

namespace Fabric.Registry.Tokens;

/// <summary>Named API tokens in table <c>api_tokens</c> of the registry database (migration 0004, applied by the registry when
/// it opens the database; this store only uses the table). Lookups by hash come
/// from memory; each change is committed before the call returns. A token's last use is written at most once a minute.</summary>
internal sealed class SqliteApiTokenStore : IApiTokenStore
{
    public const int MaxNameLength = 63;
    private const int SqliteConstraint = 19;
    private static readonly TimeSpan UseResolution = TimeSpan.FromMinutes(1);

    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private ImmutableDictionary<string, ApiToken> _byHash;

    private SqliteApiTokenStore(SqliteConnection connection, TimeProvider time, ImmutableDictionary<string, ApiToken> byHash)
    {
        _connection = connection;
        _time = time;
        _byHash = byHash;
    }

    /// <summary>Opens the store on the registry database, which the registry has already created and migrated.</summary>
    public static SqliteApiTokenStore Open(string databasePath, TimeProvider time)
    {
        var connection = SideTableConnection.Open(databasePath, "api_tokens", "token store");
        try
        {
            var rows = connection.Query<Row>("SELECT name AS Name, sha256 AS Sha256, created_at AS CreatedAt, last_used_at AS LastUsedAt FROM api_tokens");
            var byHash = rows.ToImmutableDictionary(r => Convert.ToHexString(r.Sha256), r => r.ToToken(), StringComparer.Ordinal);
            return new SqliteApiTokenStore(connection, time, byHash);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static string? NameProblem(string? name) =>
        string.IsNullOrEmpty(name) ? "a token name is required"
        : name.Length > MaxNameLength || !char.IsAsciiLetterOrDigit(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? $"'{Escape(name)}' is not a token name (1-{MaxNameLength} letters, digits, '-', '_' or '.', starting with a letter or digit)"
            : null;

    public Task<RegistryResult<NewApiToken>> CreateAsync(string? name, CancellationToken cancellationToken = default)
    {
        if (NameProblem(name) is { } problem)
        {
            return Task.FromResult<RegistryResult<NewApiToken>>(RegistryError.Invalid("name", problem));
        }

        var secret = "fabric_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        var token = new ApiToken(name!, Truncate(_time.GetUtcNow()), null);
        lock (_gate)
        {
            try
            {
                _connection.Execute(
                    "INSERT INTO api_tokens (name, sha256, created_at) VALUES (@Name, @Hash, @Created)",
                    new { Name = name, Hash = hash, Created = token.CreatedAt.ToUnixTimeMilliseconds() });
            }
            catch (SqliteException e) when (e.SqliteErrorCode == SqliteConstraint)
            {
                return Task.FromResult<RegistryResult<NewApiToken>>(RegistryError.Conflict("name", $"a token named '{name}' exists"));
            }

            _byHash = _byHash.SetItem(Convert.ToHexString(hash), token);
        }

        return Task.FromResult(RegistryResult<NewApiToken>.Ok(new NewApiToken(token, secret)));
    }

    public IReadOnlyList<ApiToken> List() =>
        _byHash.Values.OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase).ToList();

    public Task<RegistryResult<ApiToken>> RevokeAsync(string name, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var entry = _byHash.FirstOrDefault(e => string.Equals(e.Value.Name, name, StringComparison.OrdinalIgnoreCase));
            if (entry.Value is null)
            {
                return Task.FromResult<RegistryResult<ApiToken>>(RegistryError.NotFound("name", $"no token named '{Escape(name)}'"));
            }

            _connection.Execute("DELETE FROM api_tokens WHERE name = @Name", new { entry.Value.Name });
            _byHash = _byHash.Remove(entry.Key);
            return Task.FromResult(RegistryResult<ApiToken>.Ok(entry.Value));
        }
    }

    public ApiToken? Authenticate(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return null;
        }

        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        if (!_byHash.TryGetValue(key, out var token))
        {
            return null;
        }

        var now = Truncate(_time.GetUtcNow());
        if (token.LastUsedAt is { } last && now - last < UseResolution)
        {
            return token;
        }

        lock (_gate)
        {
            if (!_byHash.TryGetValue(key, out token))
            {
                return null;
            }

            token = token with { LastUsedAt = now };
            _connection.Execute("UPDATE api_tokens SET last_used_at = @Now WHERE name = @Name", new { Now = now.ToUnixTimeMilliseconds(), token.Name });
            _byHash = _byHash.SetItem(key, token);
            return token;
        }
    }

    public void Dispose() => _connection.Dispose();

    private static DateTimeOffset Truncate(DateTimeOffset at) => DateTimeOffset.FromUnixTimeMilliseconds(at.ToUnixTimeMilliseconds());

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Control characters in an echoed name are shown escaped.</summary>
    private static string Escape(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));

    private sealed record Row(string Name, byte[] Sha256, long CreatedAt, long? LastUsedAt)
    {
        public ApiToken ToToken() => new(
            Name,
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
            LastUsedAt is { } used ? DateTimeOffset.FromUnixTimeMilliseconds(used) : null);
    }
}
