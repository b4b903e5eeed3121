# pragma version 0.4.3
"""
@title ERC-721 ownership of registered works
@notice Ownership, approvals and transfers. Tokens are minted only by the
        contract that initializes this module. Revert reasons start with a
        category ("forbidden:", "not found:", "invalid:") that the Python
        client maps to its error types.
"""

interface ERC721Receiver:
    def onERC721Received(operator: address, sender: address, token_id: uint256, data: Bytes[1024]) -> bytes4: nonpayable

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    token_id: indexed(uint256)

event Approval:
    owner: indexed(address)
    approved: indexed(address)
    token_id: indexed(uint256)

event ApprovalForAll:
    owner: indexed(address)
    operator: indexed(address)
    approved: bool

_owners: HashMap[uint256, address]
_balances: HashMap[address, uint256]
_token_approvals: HashMap[uint256, address]
_operator_approvals: HashMap[address, HashMap[address, bool]]

RECEIVED_SELECTOR: constant(bytes4) = method_id("onERC721Received(address,address,uint256,bytes)", output_type=bytes4)


@view
@external
def balanceOf(owner: address) -> uint256:
    assert owner != empty(address), "invalid: zero address has no balance"
    return self._balances[owner]


@view
@external
def ownerOf(token_id: uint256) -> address:
    return self._owner_of(token_id)


@view
@external
def getApproved(token_id: uint256) -> address:
    self._owner_of(token_id)
    return self._token_approvals[token_id]


@view
@external
def isApprovedForAll(owner: address, operator: address) -> bool:
    return self._operator_approvals[owner][operator]


@external
def approve(approved: address, token_id: uint256):
    owner: address = self._owner_of(token_id)
    assert approved != owner, "invalid: owner cannot approve itself"
    assert msg.sender == owner or self._operator_approvals[owner][msg.sender], "forbidden: only the owner can approve"
    self._token_approvals[token_id] = approved
    log Approval(owner=owner, approved=approved, token_id=token_id)


@external
def setApprovalForAll(operator: address, approved: bool):
    assert operator != msg.sender, "invalid: cannot approve yourself"
    self._operator_approvals[msg.sender][operator] = approved
    log ApprovalForAll(owner=msg.sender, operator=operator, approved=approved)


@external
def transferFrom(sender: address, receiver: address, token_id: uint256):
    self._transfer(sender, receiver, token_id)


@external
def safeTransferFrom(sender: address, receiver: address, token_id: uint256, data: Bytes[1024] = b""):
    self._transfer(sender, receiver, token_id)
    if receiver.is_contract:
        answer: bytes4 = extcall ERC721Receiver(receiver).onERC721Received(msg.sender, sender, token_id, data)
        assert answer == RECEIVED_SELECTOR, "invalid: receiver rejected the token"


@view
@internal
def _owner_of(token_id: uint256) -> address:
    owner: address = self._owners[token_id]
    assert owner != empty(address), "not found: no such work"
    return owner


@view
@internal
def _is_authorized(spender: address, token_id: uint256) -> bool:
    """The owner, an operator of the owner, or the address approved for this token."""
    owner: address = self._owner_of(token_id)
    return spender == owner or self._operator_approvals[owner][spender] or self._token_approvals[token_id] == spender


@internal
def _mint(owner: address, token_id: uint256):
    self._owners[token_id] = owner
    self._balances[owner] += 1
    log Transfer(sender=empty(address), receiver=owner, token_id=token_id)


@internal
def _transfer(sender: address, receiver: address, token_id: uint256):
    assert self._is_authorized(msg.sender, token_id), "forbidden: caller is not owner or approved"
    assert self._owners[token_id] == sender, "invalid: sender is not the owner"
    assert receiver != empty(address), "invalid: cannot transfer to zero address"
    self._token_approvals[token_id] = empty(address)
    self._balances[sender] -= 1
    self._balances[receiver] += 1
    self._owners[token_id] = receiver
    log Transfer(sender=sender, receiver=receiver, token_id=token_id)
