namespace Fabric.Registry.Tokens;

/// <summary>A named API token as it can be shown: never its secret.</summary>
public sealed record ApiToken(string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>A token just made, with its secret (shown this once; only its SHA-256 is kept).</summary>
public sealed record NewApiToken(ApiToken Token, string Secret);

/// <summary>Named API tokens, kept durably (hashed) in the registry database. Expected failures are values.</summary>
public interface IApiTokenStore : IDisposable
{
    /// <summary>Makes a token named <paramref name="name"/>: 400 for a malformed name, 409 when the name is taken.</summary>
    Task<RegistryResult<NewApiToken>> CreateAsync(string? name, CancellationToken cancellationToken = default);

    IReadOnlyList<ApiToken> List();

    /// <summary>Revokes (deletes) the token: the secret stops working at once. 404 for an unknown name.</summary>
    Task<RegistryResult<ApiToken>> RevokeAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The token whose secret this is, or null; records its use.</summary>
    ApiToken? Authenticate(string? secret);
}
