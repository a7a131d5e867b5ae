namespace Fabric.Api.Contracts;

/// <summary><c>POST /api/v1/tokens</c>: a named API token to make.</summary>
public sealed record CreateTokenRequest
{
    /// <summary>1-63 letters, digits, <c>-</c>, <c>_</c> or <c>.</c>; unique in any case.</summary>
    public string? Name { get; init; }
}

/// <summary>A named API token as listed: never its secret.</summary>
public sealed record TokenDto(string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>A token just made: its secret is in <see cref="Token"/>, shown this once.</summary>
public sealed record CreatedTokenDto(string Name, string Token, DateTimeOffset CreatedAt);
