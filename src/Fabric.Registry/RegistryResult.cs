using System.Diagnostics.CodeAnalysis;

namespace Fabric.Registry;

/// <summary>Why a registry operation did not happen.</summary>
public enum RegistryErrorKind
{
    /// <summary>A field is malformed or inconsistent (HTTP 400).</summary>
    Validation,

    /// <summary>A unique value (name, MAC, IP) is already taken, or the change would break a reference (HTTP 409).</summary>
    Conflict,

    /// <summary>The node or network does not exist (HTTP 404).</summary>
    NotFound,
}

/// <summary>One problem with one field of a request, e.g. <c>mac</c>: <c>'52:54:zz' is not a MAC address</c>.</summary>
public sealed record FieldError(string Field, string Reason)
{
    public override string ToString() => $"{Field}: {Reason}";
}

/// <summary>An expected failure: its kind and every field problem found.</summary>
public sealed record RegistryError(RegistryErrorKind Kind, IReadOnlyList<FieldError> Errors)
{
    public static RegistryError NotFound(string field, string reason) => new(RegistryErrorKind.NotFound, [new FieldError(field, reason)]);

    public static RegistryError Conflict(string field, string reason) => new(RegistryErrorKind.Conflict, [new FieldError(field, reason)]);

    public static RegistryError Invalid(string field, string reason) => new(RegistryErrorKind.Validation, [new FieldError(field, reason)]);

    public override string ToString() => string.Join("; ", Errors);
}

/// <summary>The value of a registry operation, or the reason it failed.</summary>
public readonly record struct RegistryResult<T>
{
    private RegistryResult(T? value, RegistryError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public RegistryError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;

    public static RegistryResult<T> Ok(T value) => new(value, null);

    public static RegistryResult<T> Fail(RegistryError error) => new(default, error);

    public static implicit operator RegistryResult<T>(RegistryError error) => Fail(error);
}
