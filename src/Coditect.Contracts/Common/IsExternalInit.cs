#if NETSTANDARD2_0
// Lets positional records compile for netstandard2.0 (the SDK's .NET Framework target).
namespace System.Runtime.CompilerServices;

internal static class IsExternalInit;
#endif
